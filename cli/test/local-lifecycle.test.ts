/**
 * End to end with the local driver on one node (its own master): start, status, book through the
 * real nginx, catalog import, events, logs, kill and revive, "already running", stop leaving no
 * process and no port, and a restart that keeps the data. The three-node failover is in
 * local-failover.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import mysql from 'mysql2/promise';
import type { KillResult } from '../src/services/cluster.js';
import type { ClusterState } from '../src/services/drivers/driver.js';
import type { StatusView } from '../src/services/observe.js';
import { nodeBin } from '../src/services/paths.js';
import { canBind, freePort } from '../src/services/ports.js';
import { processState } from '../src/services/processes.js';
import { withRpc } from '../src/services/rpc-client.js';
import { bookSomeSeats } from './helpers/booking.js';
import { cliBin, json, newStateRoot, runCli, uniqueName } from './helpers/cli.js';

const stateRoot = newStateRoot();
const name = uniqueName('life');
const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot });
let port = 0;

test.before(async () => {
  port = await freePort();
});

test.after.always(async () => {
  await cli('cluster', 'stop', '--purge');
});

async function readState(): Promise<ClusterState> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(path.join(stateRoot, name, 'state.json'), 'utf8')) as ClusterState;
}

test.serial('start: one node behind nginx, --json is the status object', async (t) => {
  const r = await cli(
    'cluster',
    'start',
    '--nodes',
    '1',
    '--port',
    String(port),
    '--hold-ttl',
    '2m',
    '--json',
  );
  t.is(r.code, 0, r.stderr);
  const view = json<StatusView>(r);
  t.deepEqual(Object.keys(view).sort(), ['driver', 'epoch', 'masterId', 'name', 'nodes', 'url']);
  t.like(view, { name, driver: 'local', url: `http://localhost:${port}`, masterId: 1 });
  t.is(view.nodes.length, 1);
  t.deepEqual(Object.keys(view.nodes[0]!).sort(), [
    'alive',
    'appliedIndex',
    'applyError',
    'commitIndex',
    'id',
    'lamport',
    'role',
    'rpcUrl',
  ]);
  t.like(view.nodes[0], { id: 1, role: 'master', alive: true });
  // The state folder holds secrets: owner only.
  t.is(statSync(path.join(stateRoot, name)).mode & 0o777, 0o700);
  t.is(statSync(path.join(stateRoot, name, 'state.json')).mode & 0o777, 0o600);
});

test.serial('starting it again says it is already running (exit 4)', async (t) => {
  const r = await cli('cluster', 'start', '--nodes', '1', '--port', String(port));
  t.is(r.code, 4);
  t.regex(r.stderr, new RegExp(`^Error: cluster "${name}" is already running at http://localhost:${port}`));
});

test.serial('status: human table and JSON', async (t) => {
  const human = await cli('cluster', 'status');
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`Cluster ${name} \\(local\\) · http://localhost:${port} · master n1`));
  t.regex(human.stdout, /NODE\s+ROLE\s+ALIVE\s+COMMIT\s+APPLIED\s+LAMPORT\s+RPC\nn1\s+master\s+yes/);
  const r = await cli('cluster', 'status', '--json');
  t.like(json<StatusView>(r), { masterId: 1 });
});

test.serial('nginx serves the web app with history fallback, /healthz and per-node routes', async (t) => {
  const base = `http://127.0.0.1:${port}`;
  const health = await fetch(`${base}/healthz`);
  t.is(health.status, 200);
  t.like(await health.json(), { nodeId: 1, role: 'master' });
  t.is((await fetch(`${base}/nodes/1/healthz`)).status, 200);
  t.is((await fetch(`${base}/nodes/9/healthz`)).status, 404);
  // Nginx itself says which cluster it fronts: how `cluster start` knows the port is its own.
  t.deepEqual(await (await fetch(`${base}/.well-known/booking-cluster`)).json(), { cluster: name });
  const page = await fetch(`${base}/movies/some-deep-link`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  t.regex(await page.text(), /<html/i);
});

test.serial('book through nginx, read it back on the node route', async (t) => {
  const booking = await bookSomeSeats(`ws://127.0.0.1:${port}/rpc`, 2);
  t.is(booking.status, 'confirmed');
  t.is(booking.seatIds.length, 2);
  const again = await withRpc(`ws://127.0.0.1:${port}/nodes/1/rpc`, {}, (rpc) =>
    rpc.call('bookings.get', { code: booking.code }),
  );
  t.is(again.id, booking.id);
});

test.serial('catalog import goes through the master with the admin token', async (t) => {
  const r = await cli('catalog', 'import', '--json');
  t.is(r.code, 0, r.stderr);
  const counts = json<Record<string, number>>(r);
  t.deepEqual(Object.keys(counts).sort(), ['movies', 'shows', 'theaters']);
  t.true(counts.movies! >= 12);
  t.true(counts.theaters! >= 3);
  t.true(counts.shows! > 0);
});

test.serial('events are in Lamport order', async (t) => {
  const r = await cli('cluster', 'events', '--json');
  t.is(r.code, 0, r.stderr);
  const events = json<{ nodeId: number; lamport: number; type: string }[]>(r);
  t.true(events.length > 0);
  for (let i = 1; i < events.length; i++) {
    t.true(events[i - 1]!.lamport <= events[i]!.lamport);
  }
  const human = await cli('cluster', 'events');
  t.regex(human.stdout, /^LAMPORT\s+NODE\s+AT\s+EVENT\s+DETAIL/);
});

test.serial('logs: pretty lines, or JSON lines with --json', async (t) => {
  const human = await cli('cluster', 'logs', '--node', '1');
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /^n1 \d\d:\d\d:\d\d\.\d{3} INFO {2}booking node listening/m);
  const r = await cli('cluster', 'logs', '--json');
  const records = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { nodeId: number; msg: string });
  t.true(records.some((rec) => rec.nodeId === 1 && rec.msg === 'booking node listening'));
  const missing = await cli('cluster', 'logs', '--node', '7');
  t.is(missing.code, 3);
});

test.serial('logs --follow streams until Ctrl-C', async (t) => {
  const child = spawn(process.execPath, [cliBin, 'cluster', 'logs', '--follow', '--name', name], {
    env: { ...process.env, BOOKING_STATE_ROOT: stateRoot, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('booking node listening')) resolve();
    });
  });
  // Lines written after the command started show up too: restart the node, it logs again.
  t.is((await cli('cluster', 'kill', '--node', '1')).code, 0);
  t.is((await cli('cluster', 'revive', '--node', '1')).code, 0);
  await new Promise<void>((resolve) => {
    const check = () => {
      if (out.split('booking node listening').length - 1 >= 2) resolve();
    };
    child.stdout.on('data', check);
    check();
  });
  child.kill('SIGINT');
  t.is(await exited, 0);
});

test.serial('kill and revive the only node', async (t) => {
  const before = await readState();
  const r = await cli('cluster', 'kill', '--master', '--json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(json<KillResult>(r), { killed: 1, previousMasterId: 1, newMasterId: null, failoverMs: null });
  t.regex(r.stderr, /no majority/);
  t.is(await processState(before.nodes[0]!.pid, nodeBin), 'stopped');
  const down = json<StatusView>(await cli('cluster', 'status', '--json'));
  t.like(down, { masterId: null });
  t.like(down.nodes[0], { role: 'down', alive: false, commitIndex: null, appliedIndex: null });
  const again = await cli('cluster', 'kill', '--node', '1');
  t.is(again.code, 4);
  t.regex(again.stderr, /node 1 is already down/);

  const revived = await cli('cluster', 'revive', '--node', '1', '--json');
  t.is(revived.code, 0, revived.stderr);
  t.like(json<StatusView>(revived), { masterId: 1 });
  const busy = await cli('cluster', 'revive', '--node', '1');
  t.is(busy.code, 4);
});

test.serial('pause and resume', async (t) => {
  const r = await cli('cluster', 'kill', '--node', '1', '--pause');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^Paused node 1 \(the master\)\./);
  const paused = json<StatusView>(await cli('cluster', 'status', '--json'));
  t.like(paused.nodes[0], { role: 'paused', alive: false });
  const resumed = await cli('cluster', 'revive', '--node', '1', '--json');
  t.is(resumed.code, 0, resumed.stderr);
  t.like(json<StatusView>(resumed).nodes[0], { role: 'master', alive: true });
});

test.serial('stop leaves no process and no port; a restart keeps the bookings', async (t) => {
  const before = await readState();
  const booking = await bookSomeSeats(`ws://127.0.0.1:${port}/rpc`, 1);
  const r = await cli('cluster', 'stop', '--json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(json(r), { stopped: true });
  for (const node of before.nodes) {
    t.is(await processState(node.pid, nodeBin), 'stopped');
    t.true(await canBind(node.port), `node port ${node.port} is free`);
  }
  t.is(await processState(before.nginx.pid, before.nginx.configFile!), 'stopped');
  t.true(await canBind(port), 'nginx port is free');
  const status = await cli('cluster', 'status');
  t.is(status.code, 3);
  t.regex(status.stderr, /is stopped/);

  const restarted = await cli('cluster', 'start', '--nodes', '1', '--port', String(port), '--json');
  t.is(restarted.code, 0, restarted.stderr);
  const after = await readState();
  t.is(after.secret, before.secret, 'the same cluster secret (tickets stay valid)');
  const found = await withRpc(`ws://127.0.0.1:${port}/rpc`, {}, (rpc) =>
    rpc.call('bookings.get', { code: booking.code }),
  );
  t.is(found.id, booking.id);
  const verified = await withRpc(`ws://127.0.0.1:${port}/rpc`, {}, (rpc) =>
    rpc.call('tickets.verify', { token: booking.ticket.token }),
  );
  t.true(verified.valid);
});

test.serial('stop --purge drops the databases and the state', async (t) => {
  const r = await cli('cluster', 'stop', '--purge');
  t.is(r.code, 0, r.stderr);
  t.false(existsSync(path.join(stateRoot, name)));
  const connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    const [rows] = await connection.query('SHOW DATABASES LIKE ?', [`booking_${name}_n%`]);
    t.deepEqual(rows, []);
  } finally {
    await connection.end();
  }
  t.true(await canBind(port));
});
