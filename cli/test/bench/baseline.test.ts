/** The single-MySQL baseline against the real MariaDB (BOOKING_TEST_MYSQL or 127.0.0.1:3306). */

import { MysqlBaseline, SeatsTaken } from '@booking/node/bench/mysql-baseline';
import test from 'ava';
import mysql from 'mysql2/promise';
import { seatPairs } from '../../src/services/bench/workload.js';

const server = process.env['BOOKING_TEST_MYSQL'] ?? 'mysql://root@127.0.0.1:3306';
const customer = { name: 'Baseline Test', email: 'baseline@example.test' };

test('books, refuses a taken seat, cancels, rebooks; one of two racing bookings wins; drops its database', async (t) => {
  const baseline = await MysqlBaseline.open(server, 8);
  const database = new URL(baseline.databaseUrl).pathname.slice(1);
  try {
    const shows = baseline.shows();
    t.true(shows.length > 10);
    t.true(shows.every((s) => s.seatIds.length > 0));
    const [pair, other] = seatPairs(shows, 5);
    const code = await baseline.book(pair!, customer);
    t.regex(code, /^[0-9A-Z]{16}$/);
    await t.throwsAsync(baseline.book(pair!, customer), { instanceOf: SeatsTaken });
    await baseline.cancel(code);
    await t.throwsAsync(baseline.cancel(code), { message: /not found/ });
    await baseline.book(pair!, customer);
    const race = await Promise.allSettled(Array.from({ length: 6 }, () => baseline.book(other!, customer)));
    t.is(race.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of race)
      if (r.status === 'rejected') t.is((r.reason as { reason?: string }).reason, 'SEATS_UNAVAILABLE');
  } finally {
    await baseline.close();
  }
  const admin = await mysql.createConnection({ uri: server });
  try {
    const [rows] = await admin.query('SHOW DATABASES LIKE ?', [database]);
    t.is((rows as unknown[]).length, 0, 'the baseline database is dropped');
  } finally {
    await admin.end();
  }
});
