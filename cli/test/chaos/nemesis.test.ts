/**
 * The nemesis without a cluster: a fake driver that keeps each node's process state and network
 * attachment in memory, and a fake view of the cluster (the highest live, connected node is
 * master, as the bully algorithm would have it). Checks the network-cut fault end to end on the
 * driver-independent side: plan → disconnect of the master → history record → reconnect, the
 * final heal reconnecting cut nodes, and the clear refusal of drivers that cannot cut.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { failovers } from '../../src/services/chaos/analysis.js';
import { healAll, type NodeView, nemesis, runChaos } from '../../src/services/chaos/run.js';
import { buildSchedule } from '../../src/services/chaos/schedule.js';
import { type FaultRecord, type HistoryRecord, HistoryRecorder } from '../../src/services/checker/history.js';
import type { ClusterDriver, ClusterState } from '../../src/services/drivers/driver.js';
import { CliError } from '../../src/services/errors.js';

type Proc = 'running' | 'paused' | 'stopped';

function fakeCluster(nodes = 3, withNetwork = true) {
  const proc = new Map<number, Proc>();
  const onNet = new Map<number, boolean>();
  for (let id = 1; id <= nodes; id++) {
    proc.set(id, 'running');
    onNet.set(id, true);
  }
  const calls: string[] = [];
  const state: ClusterState = {
    name: 'fake',
    driver: 'docker',
    spec: {
      name: 'fake',
      nodes,
      driver: 'docker',
      port: 1,
      mysqlUrl: '',
      holdTtlMs: 300_000,
      catalog: 'none',
    },
    url: 'http://localhost:1',
    secret: 's',
    adminToken: 'a',
    startedAt: new Date(0).toISOString(),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: i + 1,
      port: 0,
      rpcUrl: `ws://127.0.0.1:1/${i + 1}`,
    })),
    nginx: { port: 1 },
  };
  const driver: ClusterDriver = {
    name: 'docker',
    start: async () => state,
    kill: async (_s, id, o) => {
      calls.push(`${o.pause ? 'pause' : 'kill'} n${id}`);
      proc.set(id, o.pause ? 'paused' : 'stopped');
    },
    revive: async (s, id) => {
      calls.push(`revive n${id}`);
      proc.set(id, 'running');
      return s;
    },
    nodeRunning: async (_s, id) => proc.get(id) ?? 'stopped',
    stop: async () => {},
    logs: async function* () {},
    ...(withNetwork
      ? {
          disconnect: async (_s: ClusterState, id: number) => {
            calls.push(`disconnect n${id}`);
            onNet.set(id, false);
          },
          reconnect: async (_s: ClusterState, id: number) => {
            calls.push(`reconnect n${id}`);
            onNet.set(id, true);
          },
          connected: async (_s: ClusterState, id: number) => onNet.get(id) ?? false,
        }
      : {}),
  };
  /** What the nemesis sees: unreachable when cut or not running; the highest reachable id is master. */
  const look = async (): Promise<NodeView[]> => {
    const reachable = [...proc].filter(([id, p]) => p === 'running' && onNet.get(id)).map(([id]) => id);
    const master = Math.max(...reachable);
    return [...proc].map(([id, p]) => ({
      id,
      process: p,
      status: reachable.includes(id)
        ? ({ nodeId: id, role: id === master ? 'master' : 'slave', epoch: 1 } as NodeView['status'])
        : null,
    }));
  };
  return { state, driver, look, proc, onNet, calls };
}

function recorder() {
  const history: HistoryRecord[] = [];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const r = new HistoryRecorder({ now, wallNow: () => new Date().toISOString() }, (x) => history.push(x));
  return { history, now, r };
}

test('partition faults cut the master off the network and heal it, recorded in the history', async (t) => {
  const c = fakeCluster();
  const { history, now, r } = recorder();
  const schedule = buildSchedule({
    seed: 3,
    durationMs: 2400,
    intervalMs: 200,
    nodes: 3,
    faults: ['partition'],
    masterBias: 1,
    quietMs: 200,
  });
  t.true(schedule.steps.filter((s) => s.action === 'partition').length >= 5);
  const log = await nemesis(
    schedule.steps,
    { state: c.state, driver: c.driver, recorder: r, now, look: c.look },
    () => false,
    () => {},
  );
  const cuts = schedule.steps.filter((s) => s.action === 'partition').length;
  t.is(log.injected, cuts);
  t.deepEqual(log.skipped, []);
  // Every cut hit the node that was master at that moment (n3: it is healed before the next cut).
  t.deepEqual(c.calls, Array.from({ length: cuts }, () => ['disconnect n3', 'reconnect n3']).flat());
  const faults = history.filter((h): h is FaultRecord => h.type === 'fault');
  t.deepEqual(
    faults.map((f) => `${f.kind} n${f.node}${f.wasMaster ? ' master' : ''}`),
    Array.from({ length: cuts }, () => ['partition n3 master', 'heal n3']).flat(),
  );
  t.true([...c.onNet.values()].every(Boolean), 'every node is back on the network');
  // A cut master counts as a failover, like a kill or a pause.
  t.deepEqual(
    failovers(history).map((f) => f.kind),
    Array.from({ length: cuts }, () => 'partition'),
  );
});

test('mixed faults: a cut node is never picked for another fault while it is cut', async (t) => {
  const c = fakeCluster(5);
  const { history, now, r } = recorder();
  const schedule = buildSchedule({
    seed: 11,
    durationMs: 3000,
    intervalMs: 150,
    nodes: 5,
    faults: ['kill', 'pause', 'revive', 'partition'],
    quietMs: 200,
  });
  await nemesis(
    schedule.steps,
    { state: c.state, driver: c.driver, recorder: r, now, look: c.look },
    () => false,
    () => {},
  );
  const down = new Set<number>();
  for (const f of history.filter((h): h is FaultRecord => h.type === 'fault')) {
    if (f.kind === 'kill' || f.kind === 'pause' || f.kind === 'partition') {
      t.false(down.has(f.node!), `n${f.node} hit twice at ${f.time}`);
      down.add(f.node!);
    } else down.delete(f.node!);
  }
  t.is(down.size, 0, 'everything healed');
  t.true(
    history.some((h) => h.type === 'fault' && h.kind === 'partition'),
    'the plan had cuts',
  );
});

test('the final heal reconnects cut nodes, resumes paused ones and revives killed ones', async (t) => {
  const c = fakeCluster();
  const { history, r } = recorder();
  c.onNet.set(3, false);
  c.proc.set(2, 'paused');
  c.proc.set(1, 'stopped');
  await healAll(c.state, c.driver, r);
  t.deepEqual(c.calls, ['revive n1', 'revive n2', 'reconnect n3']);
  t.true([...c.onNet.values()].every(Boolean));
  t.true([...c.proc.values()].every((p) => p === 'running'));
  t.deepEqual(
    history.map((h) => (h.type === 'fault' ? `${h.kind} n${h.node} ${h.detail}` : h.type)),
    ['revive n1 final heal', 'resume n2 final heal', 'heal n3 final heal'],
  );
});

test('--faults partition on a driver that cannot cut the network is refused before anything runs', async (t) => {
  const c = fakeCluster(3, false);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'booking-nemesis-'));
  try {
    const error = await t.throwsAsync(
      runChaos(
        c.state,
        c.driver,
        { durationMs: 1000, intervalMs: 200, faults: ['kill', 'partition'], seed: 1, outDir },
        () => {},
      ),
      { instanceOf: CliError, message: /cannot cut a node off the network.*--driver docker/ },
    );
    t.truthy(error);
    t.deepEqual(c.calls, []);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
