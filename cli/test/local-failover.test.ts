/**
 * End to end with the local driver on three nodes: start, status, book through Nginx, kill the
 * master (a NEW master and failoverMs are reported), book again through Nginx, revive, pause the
 * master and resume it, events in Lamport order, and stop leaving no process and no port.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Booking } from '@booking/node/protocol';
import test from 'ava';
import type { KillResult } from '../src/services/cluster.js';
import type { ClusterState } from '../src/services/drivers/driver.js';
import type { StatusView } from '../src/services/observe.js';
import { nodeBin } from '../src/services/paths.js';
import { canBind, freePort } from '../src/services/ports.js';
import { processState } from '../src/services/processes.js';
import { withRpc } from '../src/services/rpc-client.js';
import { bookSomeSeats } from './helpers/booking.js';
import { json, newStateRoot, runCli, uniqueName } from './helpers/cli.js';

const stateRoot = newStateRoot();
const name = uniqueName('failover');
const cli = (...args: string[]) => runCli([...args, '--name', name], { stateRoot });
let port = 0;
const rpcUrl = () => `ws://127.0.0.1:${port}/rpc`;
const booked: Booking[] = [];

test.before(async () => {
  port = await freePort();
});

test.after.always(async () => {
  await cli('cluster', 'stop', '--purge');
});

async function readState(): Promise<ClusterState> {
  return JSON.parse(await readFile(path.join(stateRoot, name, 'state.json'), 'utf8')) as ClusterState;
}

async function status(): Promise<StatusView> {
  const r = await cli('cluster', 'status', '--json');
  if (r.code !== 0) throw new Error(r.stderr);
  return json<StatusView>(r);
}

test.serial('start three nodes: every node agrees on one master', async (t) => {
  const r = await cli('cluster', 'start', '--nodes', '3', '--port', String(port), '--json');
  t.is(r.code, 0, r.stderr);
  const view = json<StatusView>(r);
  t.not(view.masterId, null);
  t.is(view.nodes.length, 3);
  t.true(view.nodes.every((n) => n.alive));
  t.is(view.nodes.filter((n) => n.role === 'master').length, 1);
  t.is(view.nodes.find((n) => n.role === 'master')!.id, view.masterId!);
});

test.serial('book through nginx', async (t) => {
  const booking = await bookSomeSeats(rpcUrl(), 2);
  t.is(booking.status, 'confirmed');
  booked.push(booking);
});

test.serial('kill --master reports a new master and the failover time', async (t) => {
  const before = await status();
  const r = await cli('cluster', 'kill', '--master', '--json');
  t.is(r.code, 0, r.stderr);
  const result = json<KillResult>(r);
  t.deepEqual(Object.keys(result).sort(), ['failoverMs', 'killed', 'newMasterId', 'previousMasterId']);
  t.is(result.killed, before.masterId!);
  t.is(result.previousMasterId, before.masterId);
  t.not(result.newMasterId, null);
  t.not(result.newMasterId, result.killed);
  t.is(typeof result.failoverMs, 'number');
  t.true(result.failoverMs! > 0);
  const after = await status();
  t.is(after.masterId, result.newMasterId);
  t.like(
    after.nodes.find((n) => n.id === result.killed),
    { alive: false, role: 'down' },
  );
});

test.serial('booking through nginx works again, and the earlier booking survived', async (t) => {
  const booking = await bookSomeSeats(rpcUrl(), 2);
  t.is(booking.status, 'confirmed');
  booked.push(booking);
  for (const b of booked) {
    const found = await withRpc(rpcUrl(), {}, (rpc) => rpc.call('bookings.get', { code: b.code }));
    t.is(found.id, b.id);
  }
});

test.serial('revive brings the old master back, caught up', async (t) => {
  const view = await status();
  const down = view.nodes.find((n) => !n.alive)!;
  const r = await cli('cluster', 'revive', '--node', String(down.id), '--json');
  t.is(r.code, 0, r.stderr);
  const after = json<StatusView>(r);
  t.true(after.nodes.every((n) => n.alive));
  t.not(after.masterId, null);
  const booking = await bookSomeSeats(rpcUrl(), 1);
  booked.push(booking);
  // The revived node serves every booking from its own database.
  const direct = (await readState()).nodes.find((n) => n.id === down.id)!.rpcUrl;
  for (const b of booked) {
    const found = await withRpc(direct, {}, (rpc) =>
      rpc.call('bookings.get', { code: b.code, afterCommitIndex: b.commitIndex }),
    );
    t.is(found.id, b.id);
  }
});

test.serial('kill prints who took over in human output', async (t) => {
  // A slave this time: the master stays, and says so.
  const view = await status();
  const slave = view.nodes.find((n) => n.alive && n.role === 'slave')!;
  const r = await cli('cluster', 'kill', '--node', String(slave.id));
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^Killed node ${slave.id}\\.\\nNode ${view.masterId} is still the master\\.`));
  const revived = await cli('cluster', 'revive', '--node', String(slave.id), '--json');
  t.is(revived.code, 0, revived.stderr);
});

test.serial('pausing the master fails over too; resuming it leaves one master', async (t) => {
  const r = await cli('cluster', 'kill', '--master', '--pause', '--json');
  t.is(r.code, 0, r.stderr);
  const result = json<KillResult>(r);
  t.not(result.newMasterId, result.killed);
  t.is(typeof result.failoverMs, 'number');
  const paused = await status();
  t.like(
    paused.nodes.find((n) => n.id === result.killed),
    { role: 'paused', alive: false },
  );
  const resumed = await cli('cluster', 'revive', '--node', String(result.killed), '--json');
  t.is(resumed.code, 0, resumed.stderr);
  const view = json<StatusView>(resumed);
  t.true(view.nodes.every((n) => n.alive));
  t.is(view.nodes.filter((n) => n.role === 'master').length, 1);
});

test.serial('events from every node, in Lamport order', async (t) => {
  const r = await cli('cluster', 'events', '--json');
  t.is(r.code, 0, r.stderr);
  const events = json<{ nodeId: number; lamport: number; type: string }[]>(r);
  t.deepEqual([...new Set(events.map((e) => e.nodeId))].sort(), [1, 2, 3]);
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1]!, events[i]!];
    t.true(a.lamport < b.lamport || (a.lamport === b.lamport && a.nodeId <= b.nodeId), `${i}`);
  }
});

test.serial('stop leaves no process and no listening port', async (t) => {
  const state = await readState();
  const r = await cli('cluster', 'stop', '--json');
  t.is(r.code, 0, r.stderr);
  for (const node of state.nodes) {
    t.is(await processState(node.pid, nodeBin), 'stopped');
    t.true(await canBind(node.port));
  }
  t.is(await processState(state.nginx.pid, state.nginx.configFile!), 'stopped');
  t.true(await canBind(port));
});
