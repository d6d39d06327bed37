/**
 * `npm run bench:node`: `bookings.book` load over WebSocket against one booking node, and, in the
 * same run, the same booking transactions straight against MySQL through mysql2 (each booking
 * its own transaction: read the show's seat claims, insert the booking and its claims). Prints
 * bookings/s and p50/p99 latency of both and their ratio. Not a test: it asserts nothing.
 *
 *   npm run bench:node -- --clients 32 --duration 10 [--json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newBookingCode, newId } from '../src/booking/codes.js';
import type { LogEntry } from '../src/booking/entries.js';
import { parseLayout } from '../src/booking/layout.js';
import { loadBundledCatalog } from '../src/catalog/bundled.js';
import { localDateOf } from '../src/log/local-date.js';
import { dropDatabase, openDatabase } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { applyCommand, inTransaction, seatClaims } from '../src/store/queries.js';
import { closedLoop, type Figures, figures } from './measure.js';
import { BenchClient } from './ws-client.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    mysql: { type: 'string', default: process.env.BOOKING_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306' },
    json: { type: 'boolean', default: false },
  },
});
const clients = Number(args.clients);
const durationMs = Number(args.duration) * 1000;
if (!Number.isInteger(clients) || clients < 1 || !(durationMs > 0)) {
  console.error('bench: --clients must be a positive integer and --duration a positive number of seconds');
  process.exit(2);
}
const say = (line: string) => {
  if (!args.json) process.stderr.write(`${line}\n`);
};
const customer = { name: 'Bench Customer', email: 'bench@example.org' };
const suffix = randomBytes(4).toString('hex');
const nodeDb = `${args.mysql}/booking_bench_node_${suffix}`;
const mysqlDb = `${args.mysql}/booking_bench_mysql_${suffix}`;

/** Every future show's seats, two at a time, shuffled so clients do not queue on one show. */
function workload(): { showId: string; seatIds: string[] }[] {
  const catalog = loadBundledCatalog(new Date());
  const screens = new Map(catalog.theaters.flatMap((t) => t.screens.map((s) => [`${t.id}/${s.id}`, s])));
  const soon = Date.now() + 3600_000;
  const work: { showId: string; seatIds: string[] }[] = [];
  for (const show of catalog.shows) {
    if (Date.parse(show.startsAt) < soon) continue;
    const screen = screens.get(`${show.theaterId}/${show.screenId}`);
    const seats = parseLayout(screen?.layout ?? []).flatMap((row) => row.seats.map((seat) => seat.id));
    for (let i = 0; i + 1 < seats.length; i += 2)
      work.push({ showId: show.id, seatIds: [seats[i]!, seats[i + 1]!] });
  }
  for (let i = work.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [work[i], work[j]] = [work[j]!, work[i]!];
  }
  return work;
}

function startNode(): Promise<{ child: ChildProcess; url: string }> {
  const bin = fileURLToPath(new URL('../bin/booking-node.mjs', import.meta.url));
  // BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the node under load.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, bin], {
    env: { ...process.env, BOOKING_PORT: '0', BOOKING_MYSQL_URL: nodeDb, BOOKING_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const url = /"rpc":"(ws:\/\/[^"]+)"/.exec(out)?.[1];
      if (url) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, url });
      }
    });
    child.once('exit', (code) => reject(new Error(`booking-node exited with ${code} before listening`)));
  });
}

async function benchNode(work: { showId: string; seatIds: string[] }[]): Promise<Figures> {
  const { child, url } = await startNode();
  try {
    const conns = await Promise.all(Array.from({ length: clients }, () => BenchClient.open(url)));
    const book = (c: number, w: { showId: string; seatIds: string[] }) =>
      conns[c]!.call('bookings.book', { ...w, customer }).then(() => undefined);
    await closedLoop(clients, 1000, work.slice(0, 300), book); // warm-up: JIT, pools, worker threads
    const result = figures(await closedLoop(clients, durationMs, work.slice(300), book));
    for (const c of conns) c.close();
    return result;
  } finally {
    child.kill('SIGTERM');
  }
}

async function benchMysql(work: { showId: string; seatIds: string[] }[]): Promise<Figures> {
  const pool = await openDatabase(mysqlDb, clients);
  try {
    await migrate(pool);
    let index = 0;
    const entry = (command: LogEntry['command']): LogEntry => ({
      index: ++index,
      epoch: 1,
      lamport: index,
      command,
    });
    await inTransaction(pool, (tx) =>
      applyCommand(
        tx,
        entry({ kind: 'catalog.import', snapshot: loadBundledCatalog(new Date()) }),
        localDateOf,
      ),
    );
    // A ticket token of the node's length; the baseline measures the database, not Ed25519.
    const token = randomBytes(96).toString('base64url');
    const book = (_c: number, w: { showId: string; seatIds: string[] }) =>
      inTransaction(pool, async (tx) => {
        const wanted = new Set(w.seatIds);
        const taken = (await seatClaims(tx, w.showId)).filter((claim) => wanted.has(claim.seatId));
        if (taken.length > 0) throw Object.assign(new Error('taken'), { reason: 'SEATS_UNAVAILABLE' });
        const booking = {
          id: newId('b'),
          code: newBookingCode(),
          ...w,
          customer,
          totalCents: 1200 * w.seatIds.length,
          currency: 'EUR',
          createdAt: new Date().toISOString(),
          idempotencyKey: null,
          token,
        };
        await applyCommand(tx, entry({ kind: 'booking.create', holdId: null, booking }), localDateOf);
      });
    await closedLoop(clients, 1000, work.slice(0, 300), book);
    return figures(await closedLoop(clients, durationMs, work.slice(300), book));
  } finally {
    await pool.end();
  }
}

try {
  const work = workload();
  say(`${work.length} two-seat bookings available; ${clients} clients, ${durationMs / 1000} s per side`);
  say('node over WebSocket …');
  const node = await benchNode(work);
  say('MySQL through mysql2 …');
  const mysql = await benchMysql(work);
  const ratio = Math.round((node.perSecond / mysql.perSecond) * 100) / 100;
  if (args.json) {
    console.log(JSON.stringify({ clients, durationS: durationMs / 1000, node, mysql, ratio }));
  } else {
    const row = (name: string, f: Figures) =>
      `${name.padEnd(24)}${String(f.perSecond).padStart(12)}${f.p50Ms.toFixed(2).padStart(10)}${f.p99Ms.toFixed(2).padStart(10)}${String(f.bookings).padStart(10)}  ${JSON.stringify(f.errors)}`;
    console.log(
      `${''.padEnd(24)}${'bookings/s'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'booked'.padStart(10)}  errors`,
    );
    console.log(row('node over WebSocket', node));
    console.log(row('MySQL through mysql2', mysql));
    console.log(`ratio node / MySQL: ${ratio}`);
  }
} finally {
  await dropDatabase(nodeDb).catch(() => undefined);
  await dropDatabase(mysqlDb).catch(() => undefined);
}
