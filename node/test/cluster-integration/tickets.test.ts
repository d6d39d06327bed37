/**
 * Tickets are signed where the answer leaves for the client, not decided on the master and carried
 * in the log: a booking forwarded by a slave gets a token that every node hands out again, byte for
 * byte, that verifies on the master, and that neither the log entry nor any node's row stores.
 */
import test from 'ava';
import mysql from 'mysql2/promise';
import { MYSQL_SERVER } from '../helpers/with-node.js';
import { customer, freeSeats } from './helpers/booking.js';
import { withCluster } from './helpers/cluster.js';

test('a forwarded booking is signed by the node that answers, the same token on every node, and stored nowhere', async (t) => {
  await withCluster(t, async (c) => {
    const master = await c.waitForMaster();
    const slaveId = [1, 2, 3].find((id) => id !== master.nodeId)!;
    const slave = await c.node(slaveId).connect();
    const { showId, seats } = await freeSeats(slave, 2);
    const booking = await slave.call('bookings.book', {
      showId,
      seatIds: seats,
      customer: customer('ticket'),
    });
    t.regex(booking.ticket.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWS compact token');
    t.true(booking.ticket.qrSvg.startsWith('<svg'), 'its QR code is drawn');
    slave.close();
    await c.waitApplied([1, 2, 3], booking.commitIndex);

    for (const n of c.nodes) {
      const client = await n.connect();
      const again = await client.call('bookings.get', { code: booking.code });
      t.is(again.ticket.token, booking.ticket.token, `node ${n.id} hands out the same token`);
      client.close();
    }
    const onMaster = await c.node(master.nodeId).connect();
    const verified = await onMaster.call('tickets.verify', { token: booking.ticket.token });
    t.true(verified.valid);
    t.deepEqual(verified.booking.seatIds, seats);
    onMaster.close();

    for (const db of c.databases) {
      const conn = await mysql.createConnection({ uri: `${MYSQL_SERVER}/${db}` });
      try {
        const [entries] = await conn.query(
          "SELECT payload FROM log_entries WHERE kind = 'booking.create' AND idx = ?",
          [booking.commitIndex],
        );
        const payload = JSON.parse((entries as { payload: string }[])[0]!.payload) as {
          booking: Record<string, unknown>;
        };
        t.is(payload.booking.id, booking.id, `${db}: the entry is the booking's`);
        t.false('token' in payload.booking, `${db}: the entry carries no token`);
        const [rows] = await conn.query('SELECT token FROM bookings WHERE id = ?', [booking.id]);
        t.is((rows as { token: string }[])[0]!.token, '', `${db}: the row stores no token`);
      } finally {
        await conn.end();
      }
    }
  });
});
