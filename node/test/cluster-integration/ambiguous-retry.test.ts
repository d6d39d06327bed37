/**
 * The race that wedged real clusters (issue 9), forced with real processes: the master is paused
 * right after a booking reaches it, so the first attempt is proposed (or not, or committed) with
 * nobody to answer; a new master takes over; the client retries with the same key. Exactly one
 * booking must come of it, and apply must never stop: every node's applied index reaches its commit
 * index, and no node rejected an entry.
 */
import test from 'ava';
import { RpcError } from '../helpers/rpc-client.js';
import { customer, freeSeats } from './helpers/booking.js';
import { waitUntil, withCluster } from './helpers/cluster.js';

test('a booking whose master is paused mid-write, retried on the next master, books once; apply never stops', async (t) => {
  await withCluster(t, async (c) => {
    await c.waitForMaster(3);
    const viaMaster = await c.node(3).connect();
    const viaSlave = await c.node(1).connect();
    const { showId, seats } = await freeSeats(viaSlave, 6);
    const outcomes: { key: string; first: string; retry: string }[] = [];

    // Three pauses at different moments of the write: on arrival, during replication, around commit.
    for (const [round, delayMs] of [0, 3, 15].entries()) {
      const master = (await c.waitForMaster(undefined, undefined, 60_000)).nodeId;
      const key = `ambiguous-${round}`;
      const params = {
        showId,
        seatIds: [seats[2 * round]!, seats[2 * round + 1]!],
        customer: customer(`r${round}`),
        idempotencyKey: key,
      };
      const client = master === 3 ? viaMaster : await c.node(master).connect();
      const first = client.call('bookings.book', params).then(
        (b) => b.id,
        (e: unknown) => (e instanceof RpcError ? `error ${e.reason}` : `error ${String(e)}`),
      );
      await new Promise((r) => setTimeout(r, delayMs));
      c.node(master).kill('SIGSTOP');
      const others = c.nodes.filter((n) => n.id !== master).map((n) => n.id);
      await c.waitForMaster(undefined, others, 60_000);

      const retryClient = master === 1 ? await c.node(2).connect() : viaSlave;
      let retry = '';
      t.true(
        await waitUntil(async () => {
          try {
            retry = (await retryClient.call('bookings.book', params)).id;
          } catch (error) {
            if (!(error instanceof RpcError) || error.reason !== 'NO_MASTER') throw error;
          }
          return retry !== '';
        }, 30_000),
        `the retry of ${key} got an answer`,
      );
      c.node(master).kill('SIGCONT');
      const answer = await first;
      if (!answer.startsWith('error')) t.is(answer, retry, 'both answers name the same booking');
      outcomes.push({ key, first: answer, retry });
    }
    t.log(JSON.stringify(outcomes));

    // The cluster settles (the old master is back, maybe master again) and every node catches up.
    await c.waitForMaster(undefined, undefined, 60_000);
    let last = '';
    t.true(
      await waitUntil(async () => {
        const ss = await c.statuses();
        last = JSON.stringify(ss.map((s) => [s.nodeId, s.role, s.commitIndex, s.appliedIndex]));
        const commit = Math.max(...ss.map((s) => s.commitIndex));
        return ss.length === 3 && ss.every((s) => s.appliedIndex === commit && s.commitIndex === commit);
      }, 30_000),
      `every node applies everything committed: ${last}`,
    );
    for (const n of c.nodes) {
      t.is(await c.metric(n.id, 'booking_apply_rejections_total'), 0, `node ${n.id} rejected nothing`);
      const client = await n.connect();
      const map = await client.call('seats.map', { showId });
      const booked = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id));
      t.deepEqual(booked.sort(), seats.slice(0, 6).sort(), `node ${n.id}: each pair booked once`);
    }
  });
});
