/**
 * `npm run bench:node`: `bookings.book` load over WebSocket against one booking node, and, in the
 * same run, the same booking transactions straight against MySQL through mysql2 (each booking
 * its own transaction: read the show's seat claims, insert the booking and its claims). Prints
 * bookings/s and p50/p99 latency of both and their ratio. Not a test: it asserts nothing.
 * The MySQL side is `MysqlBaseline`, the same one `booking bench --baseline` uses.
 *
 *   npm run bench:node -- --clients 32 --duration 10 [--json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropDatabase } from '../src/store/db.js';
import { closedLoop, type Figures, figures } from './measure.js';
import { MysqlBaseline, type ShowSeats } from './mysql-baseline.js';
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

/** Every future show's seats, two at a time, shuffled so clients do not queue on one show. */
function workload(shows: ShowSeats[]): ShowSeats[] {
  const work = shows.flatMap(({ showId, seatIds }) =>
    Array.from({ length: Math.floor(seatIds.length / 2) }, (_, i) => ({
      showId,
      seatIds: seatIds.slice(2 * i, 2 * i + 2),
    })),
  );
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

async function benchNode(work: ShowSeats[]): Promise<Figures> {
  const { child, url } = await startNode();
  try {
    const conns = await Promise.all(Array.from({ length: clients }, () => BenchClient.open(url)));
    const book = (c: number, w: ShowSeats) =>
      conns[c]!.call('bookings.book', { ...w, customer }).then(() => undefined);
    await closedLoop(clients, 1000, work.slice(0, 300), book); // warm-up: JIT, pools, worker threads
    const result = figures(await closedLoop(clients, durationMs, work.slice(300), book));
    for (const c of conns) c.close();
    return result;
  } finally {
    child.kill('SIGTERM');
  }
}

async function benchMysql(mysql: MysqlBaseline, work: ShowSeats[]): Promise<Figures> {
  const book = (_c: number, w: ShowSeats) => mysql.book(w, customer).then(() => undefined);
  await closedLoop(clients, 1000, work.slice(0, 300), book);
  return figures(await closedLoop(clients, durationMs, work.slice(300), book));
}

// The baseline's fresh database also names the seats both sides book.
const mysql = await MysqlBaseline.open(args.mysql, clients);
try {
  const work = workload(mysql.shows());
  say(`${work.length} two-seat bookings available; ${clients} clients, ${durationMs / 1000} s per side`);
  say('node over WebSocket …');
  const node = await benchNode(work);
  say('MySQL through mysql2 …');
  const baseline = await benchMysql(mysql, work);
  const ratio = Math.round((node.perSecond / baseline.perSecond) * 100) / 100;
  if (args.json) {
    console.log(JSON.stringify({ clients, durationS: durationMs / 1000, node, mysql: baseline, ratio }));
  } else {
    const row = (name: string, f: Figures) =>
      `${name.padEnd(24)}${String(f.perSecond).padStart(12)}${f.p50Ms.toFixed(2).padStart(10)}${f.p99Ms.toFixed(2).padStart(10)}${String(f.bookings).padStart(10)}  ${JSON.stringify(f.errors)}`;
    console.log(
      `${''.padEnd(24)}${'bookings/s'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'booked'.padStart(10)}  errors`,
    );
    console.log(row('node over WebSocket', node));
    console.log(row('MySQL through mysql2', baseline));
    console.log(`ratio node / MySQL: ${ratio}`);
  }
} finally {
  await dropDatabase(nodeDb).catch(() => undefined);
  await mysql.close();
}
