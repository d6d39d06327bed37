/**
 * `booking bench` end to end on a real one-node cluster (local driver, real nginx and MariaDB):
 * the --json shape, the baseline in the same run, and a flash sale that sells exactly the
 * show's seats. Figures are printed by the command, never asserted as timings here.
 */
import test from 'ava';
import type { BenchResult } from '../../src/services/bench/run.js';
import { freePort } from '../../src/services/ports.js';
import { json, newStateRoot, runCli, uniqueName } from '../helpers/cli.js';

const stateRoot = newStateRoot();
const name = uniqueName('bench');
const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot });

test.before(async () => {
  const port = await freePort();
  const r = await cli('cluster', 'start', '--nodes', '1', '--port', String(port), '--json');
  if (r.code !== 0) throw new Error(`cluster start failed: ${r.stderr}`);
});

test.after.always(async () => {
  await cli('cluster', 'stop', '--purge');
});

test.serial(
  'bench --baseline --json: cluster and single-MySQL figures from the same run, and their ratio',
  async (t) => {
    const r = await cli('bench', '--clients', '4', '--duration', '2s', '--baseline', '--json');
    t.is(r.code, 0, r.stderr);
    const b = json<BenchResult>(r);
    t.like(b, { mode: 'steady', clients: 4, nodes: 1, durationS: 2 });
    t.regex(b.url, /^ws:\/\/127\.0\.0\.1:\d+\/rpc$/);
    for (const side of [b.cluster, b.baseline!]) {
      t.true(side.bookings > 0);
      t.true(side.cancels > 0, 'clients cancel their oldest booking to keep going');
      t.deepEqual(Object.keys(side.latencyMs).sort(), [
        'count',
        'max',
        'mean',
        'min',
        'p50',
        'p95',
        'p99',
        'p999',
      ]);
      t.true(side.latencyMs.p50 <= side.latencyMs.p99 && side.latencyMs.p99 <= side.latencyMs.p999);
    }
    t.deepEqual(b.cluster.errors, {}, 'each client books its own seats: no conflicts, no errors');
    // The ratio is of the unrounded rates; the printed rates are rounded.
    t.true(Math.abs(b.ratio! - b.cluster.bookingsPerSec / b.baseline!.bookingsPerSec) < 0.05);
    t.true(b.series.length >= 2);
  },
);

test.serial('bench --hot: a flash sale sells exactly the seats of one show, none twice', async (t) => {
  const r = await cli('bench', '--hot', '--clients', '24', '--json');
  t.is(r.code, 0, r.stderr);
  const b = json<BenchResult>(r);
  t.is(b.mode, 'hot');
  const sale = b.flashSale!;
  t.true(sale.seatsTotal > 0);
  t.is(sale.sold, sale.seatsTotal);
  t.is(sale.soldTwice, 0);
  t.is(sale.bookedOnMap, sale.seatsTotal);
  t.true(sale.exact);
  t.true((b.cluster.errors['SEATS_UNAVAILABLE'] ?? 0) > 0, 'the clients did compete for the seats');
});

test.serial(
  'more clients than the per-address caps: a clear refusal that says how to raise them',
  async (t) => {
    // Every bench client comes from 127.0.0.1; the default Nginx cap is 256 sockets per address.
    const r = await cli('bench', '--clients', '300', '--duration', '1s');
    t.is(r.code, 1);
    t.regex(r.stderr, /of 300 bench clients were refused with HTTP 429/);
    t.regex(r.stderr, /--clients 256 or fewer/);
    t.regex(r.stderr, /BOOKING_LIMIT_NGINX_CONNECTIONS_PER_ADDRESS=600/);
    // The sockets that did open were closed: the cluster takes a full bench straight after.
    const again = await cli('bench', '--clients', '4', '--duration', '1s', '--json');
    t.is(again.code, 0, again.stderr);
    t.true(json<BenchResult>(again).cluster.bookings > 0);
  },
);

test.serial('bench refuses bad flags with a usage error', async (t) => {
  const r = await cli('bench', '--hot', '--baseline');
  t.is(r.code, 2);
  t.regex(r.stderr, /--baseline|--hot/);
  const d = await cli('bench', '--duration', 'soon');
  t.is(d.code, 2);
  t.regex(d.stderr, /not a duration/);
});
