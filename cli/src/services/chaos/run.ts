/**
 * `booking chaos`: concurrent clients book, confirm holds, cancel, read and retry through Nginx
 * while the nemesis plays a seeded fault schedule through the cluster driver. Every call goes
 * into the history (JSONL); at the end every node is healed, the cluster is given time to
 * converge, the final state is read from every node and the checker decides.
 *
 * Output folder: history.jsonl, verdict.json, schedule.json, events.json, and the report
 * (index.html and SVG charts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32, randomInt } from '@booking/node/cluster/prng';
import type { Booking, ClusterEvent, ClusterStatus, SeatStatus } from '@booking/node/protocol';
import { type Anomaly, type CheckStats, checkHistory, type VerdictKind } from '../checker/check.js';
import { type FinalState, type StoredBooking, storedBooking } from '../checker/final-state.js';
import {
  classifyError,
  type HistoryRecord,
  HistoryRecorder,
  type OpMethod,
  type OpParams,
  type OpResult,
} from '../checker/history.js';
import type { ClusterDriver, ClusterState } from '../drivers/driver.js';
import { CliError, exitCodes } from '../errors.js';
import { callOnce, RpcClient, RpcError } from '../rpc-client.js';
import { saveState } from '../state.js';
import {
  bookingLatency,
  type Failover,
  type FailoverStats,
  failoverStats,
  failovers,
  writeSeries,
} from './analysis.js';
import { type Figure, writeReport } from './report.js';
import {
  buildSchedule,
  describeStep,
  type FaultName,
  faultCount,
  type HealAction,
  type ScheduleStep,
} from './schedule.js';

export interface ChaosOptions {
  durationMs: number;
  intervalMs: number;
  faults: FaultName[];
  seed: number;
  /** Concurrent client processes. */
  clients?: number;
  /** Pause between two operations of one client, ms (keeps the history checkable in a CI run). */
  thinkMs?: number;
  outDir: string;
  /** How long the cluster may take to converge after the last heal before the final read. */
  convergeTimeoutMs?: number;
}

export interface ChaosResult {
  verdict: VerdictKind;
  seed: number;
  durationS: number;
  faults: { planned: number; injected: number; skipped: number };
  failover: FailoverStats & { list: Failover[] };
  anomalies: Anomaly[];
  unknown: string[];
  stats: CheckStats;
  latencyMs: { p50: number; p99: number; p999: number };
  converged: boolean;
  /** How the final state was read: every booking through each node's admin.bookings. */
  finalRead: 'admin';
  /** Committed entries the nodes' state machines rejected (an invariant violation: must be 0). */
  rejectedEntries: number;
  /** What each node last reported when the run ended (role, epoch, indexes, apply errors). */
  lastStatus: string[];
  historyFile: string;
  report: string;
}

export type Progress = (step: string, detail?: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL_HEAL_ATTEMPTS = 3;
/** How long the run keeps asking for the shows it books on: a node busy starting may be slow. */
const PREPARE_TIMEOUT_MS = 30_000;

/** A read retried until it answers or the deadline passes; the last error is the one thrown. */
async function readPatiently<T>(what: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (error) {
      if (Date.now() + 500 * attempt > deadline) throw error;
      await sleep(500 * attempt);
    }
  }
}

export interface NodeView {
  id: number;
  process: 'running' | 'paused' | 'stopped';
  status: ClusterStatus | null;
}

async function look(state: ClusterState, driver: ClusterDriver, timeoutMs = 700): Promise<NodeView[]> {
  return Promise.all(
    state.nodes.map(async (n) => {
      const process = await driver.nodeRunning(state, n.id).catch(() => 'stopped' as const);
      const status =
        process === 'running'
          ? await callOnce(n.rpcUrl, 'cluster.status', {}, { timeoutMs }).catch(() => null)
          : null;
      return { id: n.id, process, status };
    }),
  );
}

/** The master as the running nodes see it: the highest-epoch node that says it is master. */
function masterOf(views: NodeView[]): number | null {
  const claims = views
    .filter((v) => v.status?.role === 'master')
    .sort((a, b) => b.status!.epoch - a.status!.epoch);
  return claims[0]?.id ?? null;
}

// ---------------------------------------------------------------------------------------------
// Clients

interface ShowPool {
  showId: string;
  seatIds: string[];
}

class ChaosClient {
  #rpc: RpcClient | null = null;
  readonly #random: () => number;
  readonly #mine: { code: string }[] = [];
  #key = 0;

  constructor(
    readonly process: number,
    private readonly url: string,
    private readonly recorder: HistoryRecorder,
    private readonly pools: ShowPool[],
    seed: number,
    private readonly thinkMs: number,
    /** Unique per run, so idempotency keys never repeat across runs with the same seed. */
    private readonly nonce: string,
  ) {
    this.#random = mulberry32(seed * 7919 + process);
  }

  async #connection(stop: () => boolean): Promise<RpcClient | null> {
    while (!stop()) {
      if (this.#rpc?.open) return this.#rpc;
      this.#rpc = await RpcClient.connect(this.url, { connectTimeoutMs: 1000, callTimeoutMs: 3000 }).catch(
        () => null,
      );
      if (!this.#rpc) await sleep(50);
    }
    return null;
  }

  /** One recorded call. Resolves with the result, or null if it failed or its outcome is unknown. */
  async #call<M extends OpMethod>(
    method: M,
    params: OpParams<M>,
    stop: () => boolean,
  ): Promise<{ ok: OpResult<M> } | { fail: RpcError } | { info: true } | null> {
    const rpc = await this.#connection(stop);
    if (!rpc) return null;
    const opId = this.recorder.invoke(this.process, 'nginx', method, params);
    try {
      const result = (await rpc.call(method, params as never)) as OpResult<M>;
      this.recorder.ok<M>(opId, result);
      return { ok: result };
    } catch (error) {
      const e = error instanceof RpcError ? error : new RpcError(String(error), -2);
      const data = e.data as { seatIds?: string[] } | undefined;
      const outcome = e.transport ? 'info' : classifyError({ code: e.code, reason: e.reason });
      if (outcome === 'fail') {
        this.recorder.fail(opId, {
          code: e.code,
          message: e.message,
          ...(e.reason ? { reason: e.reason } : {}),
          ...(data?.seatIds ? { seatIds: data.seatIds } : {}),
        });
        return { fail: e };
      }
      this.recorder.info(opId, {
        message: e.message,
        code: e.code,
        ...(e.reason ? { reason: e.reason } : {}),
      });
      return { info: true };
    }
  }

  #pick(): { showId: string; seatIds: string[] } {
    const pool = this.pools[randomInt(this.#random, this.pools.length)]!;
    const n = 1 + randomInt(this.#random, 2);
    const start = randomInt(this.#random, Math.max(1, pool.seatIds.length - n));
    return { showId: pool.showId, seatIds: pool.seatIds.slice(start, start + n) };
  }

  #customer() {
    return { name: `Chaos ${this.process}`, email: `chaos${this.process}-${this.#key}@example.org` };
  }

  /** Retries a keyed write while its outcome is unknown: the key makes the retries safe. */
  async #keyed<M extends 'bookings.book' | 'bookings.confirm'>(
    method: M,
    params: OpParams<M>,
    stop: () => boolean,
  ): Promise<Booking | null> {
    for (let attempt = 0; attempt < 4 && !stop(); attempt++) {
      const r = await this.#call(method, params, stop);
      if (r === null) return null;
      if ('ok' in r) return r.ok as Booking;
      if ('fail' in r) return null;
      await sleep(50 * (attempt + 1));
    }
    return null;
  }

  async run(stop: () => boolean): Promise<void> {
    while (!stop()) {
      const r = this.#random();
      if (this.#mine.length >= 3 || (r < 0.15 && this.#mine.length > 0)) {
        const { code } = this.#mine.shift()!;
        await this.#call('bookings.cancel', { code }, stop);
      } else if (r < 0.3) {
        const want = this.#pick();
        const hold = await this.#call('seats.hold', want, stop);
        if (hold && 'ok' in hold) {
          this.#key += 1;
          const b = await this.#keyed(
            'bookings.confirm',
            {
              holdId: (hold.ok as { holdId: string }).holdId,
              customer: this.#customer(),
              idempotencyKey: `${this.nonce}-c${this.process}-${this.#key}`,
            },
            stop,
          );
          if (b) this.#mine.push({ code: b.code });
        }
      } else if (r < 0.38 && this.#mine.length > 0) {
        await this.#call(
          'bookings.get',
          { code: this.#mine[randomInt(this.#random, this.#mine.length)]!.code },
          stop,
        );
      } else {
        this.#key += 1;
        const b = await this.#keyed(
          'bookings.book',
          {
            ...this.#pick(),
            customer: this.#customer(),
            idempotencyKey: `${this.nonce}-b${this.process}-${this.#key}`,
          },
          stop,
        );
        if (b) this.#mine.push({ code: b.code });
      }
      if (this.thinkMs > 0) await sleep(this.thinkMs);
    }
  }

  async close(): Promise<void> {
    await this.#rpc?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Nemesis

export interface NemesisLog {
  injected: number;
  skipped: string[];
}

/**
 * Plays the plan through the driver. `ctx.look` (tests) replaces how the nemesis sees the
 * nodes; by default it asks the driver and each node's cluster.status.
 */
export async function nemesis(
  steps: ScheduleStep[],
  ctx: {
    state: ClusterState;
    driver: ClusterDriver;
    recorder: HistoryRecorder;
    now: () => number;
    look?: typeof look;
  },
  stop: () => boolean,
  progress: Progress,
): Promise<NemesisLog> {
  /** Fault step index → the node it hit and when (run time). */
  const hit = new Map<number, { node: number; at: number }>();
  const log: NemesisLog = { injected: 0, skipped: [] };
  // A restart takes seconds (process start, catch-up): heals run in the background so the
  // schedule keeps its pace. The next fault waits for them, so no more nodes are down at once
  // than the schedule allows, even when the cluster is slow.
  const healing = new Map<number, Promise<void>>();
  /** Nodes cut off the network right now: running, but no target for another fault. */
  const cut = new Set<number>();
  const heal = (node: number, action: HealAction) => {
    const done = (async () => {
      if (action === 'heal') {
        ctx.recorder.fault('heal', node, 'network reconnect');
        await ctx.driver.reconnect!(ctx.state, node);
        cut.delete(node);
        return;
      }
      // A signal is delivered asynchronously: make sure the fault shows before undoing it, or a
      // resume could look at a process that is not stopped yet and do nothing.
      const effect = action === 'resume' ? 'paused' : 'stopped';
      for (let i = 0; i < 50 && (await ctx.driver.nodeRunning(ctx.state, node)) !== effect; i++)
        await sleep(20);
      ctx.recorder.fault(action, node);
      const next = await ctx.driver.revive(ctx.state, node, () => {});
      const revived = next.nodes.find((n) => n.id === node);
      ctx.state = {
        ...ctx.state,
        nodes: ctx.state.nodes.map((n) => (n.id === node && revived ? revived : n)),
      };
    })()
      .catch((error: unknown) => {
        log.skipped.push(`${action} n${node} failed: ${(error as Error).message}`);
      })
      .finally(() => healing.delete(node));
    healing.set(node, done);
  };
  for (const [i, step] of steps.entries()) {
    if ('target' in step) {
      await Promise.all(healing.values());
      const wait = step.at - ctx.now();
      if (wait > 0) await sleep(wait);
      if (stop()) break;
      const see = ctx.look ?? look;
      let views = await see(ctx.state, ctx.driver);
      let master = masterOf(views);
      for (let tries = 0; master === null && tries < 20 && !stop(); tries++) {
        await sleep(100);
        views = await see(ctx.state, ctx.driver);
        master = masterOf(views);
      }
      const live = views.filter((v) => v.process === 'running' && !cut.has(v.id));
      let node: number | undefined;
      if (step.target.role === 'master') node = master ?? undefined;
      else {
        const others = live.filter((v) => v.id !== master).map((v) => v.id);
        node = others.length > 0 ? others[step.target.pick % others.length] : undefined;
      }
      if (node === undefined) {
        log.skipped.push(`${describeStep(step)}: no such node now`);
        continue;
      }
      if (step.action === 'partition') {
        cut.add(node);
        await ctx.driver.disconnect!(ctx.state, node);
        ctx.recorder.fault('partition', node, 'network disconnect', node === master);
      } else {
        await ctx.driver.kill(ctx.state, node, { pause: step.action === 'pause' });
        ctx.recorder.fault(
          step.action,
          node,
          step.action === 'pause' ? 'SIGSTOP' : 'SIGKILL',
          node === master,
        );
      }
      hit.set(i, { node, at: ctx.now() });
      log.injected += 1;
      progress('Chaos', `${describeStep(step)} → n${node}`);
    } else {
      const fault = hit.get(step.of);
      if (fault === undefined) continue;
      // Keep the planned down time even when the fault itself came late.
      const planned = step.at - steps[step.of]!.at;
      const wait = Math.max(step.at, fault.at + planned) - ctx.now();
      if (wait > 0) await sleep(wait);
      heal(fault.node, step.action);
      progress('Chaos', `${describeStep(step)} → n${fault.node}`);
    }
  }
  await Promise.all(healing.values());
  return log;
}

// ---------------------------------------------------------------------------------------------
// Final state

/** Resumes, revives and reconnects every node that is not up and on the network. */
export async function healAll(
  state: ClusterState,
  driver: ClusterDriver,
  recorder: HistoryRecorder,
  failed: string[] = [],
): Promise<ClusterState> {
  let s = state;
  for (const n of state.nodes) {
    // A node that will not come back (slow start on a loaded machine) must not cost the run its
    // history: it is tried again, and if it still fails the check says which node and why.
    for (let attempt = 1; ; attempt++) {
      try {
        if (driver.connected && !(await driver.connected(s, n.id))) {
          await driver.reconnect!(s, n.id);
          recorder.fault('heal', n.id, 'final heal');
        }
        const p = await driver.nodeRunning(s, n.id);
        if (p === 'running') break;
        s = await driver.revive(s, n.id, () => {});
        recorder.fault(p === 'paused' ? 'resume' : 'revive', n.id, 'final heal');
        break;
      } catch (error) {
        if (attempt >= FINAL_HEAL_ATTEMPTS) {
          failed.push(`final heal of n${n.id} failed: ${(error as Error).message}`);
          break;
        }
        await sleep(1000 * attempt);
      }
    }
  }
  return s;
}

/**
 * Waits until every node answers, one master, and every node has applied the same commit index.
 * Returns what the nodes said last either way.
 */
async function converge(
  state: ClusterState,
  driver: ClusterDriver,
  timeoutMs: number,
): Promise<{ ok: boolean; views: NodeView[] }> {
  const deadline = Date.now() + timeoutMs;
  let stable = 0;
  let views: NodeView[] = [];
  while (Date.now() < deadline) {
    views = await look(state, driver, 1500);
    const st = views.map((v) => v.status);
    const ok =
      st.every((s) => s !== null) &&
      st.filter((s) => s!.role === 'master').length === 1 &&
      new Set(st.map((s) => s!.commitIndex)).size === 1 &&
      st.every((s) => s!.appliedIndex === s!.commitIndex);
    stable = ok ? stable + 1 : 0;
    if (stable >= 3) return { ok: true, views };
    await sleep(200);
  }
  return { ok: false, views };
}

function usedSeats(history: HistoryRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of history) {
    if (r.type !== 'invoke') continue;
    if (r.method === 'bookings.book' || r.method === 'seats.hold') {
      const set = out.get(r.params.showId) ?? new Set<string>();
      for (const s of r.params.seatIds) set.add(s);
      out.set(r.params.showId, set);
    }
  }
  return out;
}

/**
 * Every booking each node stores, read through the node's own wire (admin.bookings, a page at a
 * time): the CLI never reaches into a node's database, so the docker driver reads the same way.
 */
export async function readAllBookings(
  state: ClusterState,
  history: HistoryRecord[],
  keep: (b: StoredBooking) => boolean = () => true,
): Promise<FinalState> {
  const used = usedSeats(history);
  const final: FinalState = { nodes: [], unreadable: [] };
  for (const n of state.nodes) {
    try {
      const rpc = await RpcClient.connect(n.rpcUrl, {
        connectTimeoutMs: 3000,
        callTimeoutMs: 10_000,
        adminToken: state.adminToken,
      });
      try {
        const bookings: StoredBooking[] = [];
        let appliedIndex = 0;
        for (let afterId = ''; ; ) {
          const page = await rpc.call('admin.bookings', { afterId, limit: 1000 });
          if (page.nodeId !== n.id) throw new Error(`${n.rpcUrl} is answered by node ${page.nodeId}`);
          appliedIndex = page.appliedIndex;
          bookings.push(...page.bookings.map(storedBooking).filter(keep));
          if (page.bookings.length < 1000) break;
          afterId = page.bookings.at(-1)!.id;
        }
        const seats: Record<string, Record<string, SeatStatus>> = {};
        for (const [showId, ids] of used) {
          const map = await rpc.call('seats.map', { showId });
          const status = new Map(map.rows.flatMap((r) => r.seats.map((x) => [x.id, x.status] as const)));
          seats[showId] = Object.fromEntries([...ids].map((x) => [x, status.get(x) ?? 'available']));
        }
        final.nodes.push({ nodeId: n.id, coverage: 'all', bookings, seats, appliedIndex });
      } finally {
        await rpc.close();
      }
    } catch (error) {
      final.unreadable.push({ nodeId: n.id, error: (error as Error).message });
    }
  }
  return final;
}

async function events(state: ClusterState): Promise<ClusterEvent[]> {
  const perNode = await Promise.all(
    state.nodes.map((n) => callOnce(n.rpcUrl, 'cluster.events', {}, { timeoutMs: 3000 }).catch(() => [])),
  );
  const seen = new Set<string>();
  return perNode
    .flat()
    .filter((e) => {
      const k = `${e.nodeId}/${e.lamport}/${e.type}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.lamport - b.lamport || a.nodeId - b.nodeId);
}

// ---------------------------------------------------------------------------------------------

export async function runChaos(
  initial: ClusterState,
  driver: ClusterDriver,
  o: ChaosOptions,
  progress: Progress,
): Promise<ChaosResult> {
  if (o.faults.includes('partition') && !(driver.disconnect && driver.reconnect && driver.connected)) {
    throw new CliError(
      `the ${driver.name} driver cannot cut a node off the network: --faults partition needs --driver docker`,
      'leave partition out of --faults, or start the cluster with --driver docker',
      exitCodes.usage,
    );
  }
  await mkdir(o.outDir, { recursive: true });
  const schedule = buildSchedule({
    seed: o.seed,
    durationMs: o.durationMs,
    intervalMs: o.intervalMs,
    nodes: initial.nodes.length,
    faults: o.faults,
  });
  await writeFile(join(o.outDir, 'schedule.json'), `${JSON.stringify(schedule, null, 1)}\n`);
  const historyFile = join(o.outDir, 'history.jsonl');
  const out = createWriteStream(historyFile);
  const history: HistoryRecord[] = [];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const recorder = new HistoryRecorder({ now, wallNow: () => new Date().toISOString() }, (r) => {
    history.push(r);
    out.write(`${JSON.stringify(r)}\n`);
  });
  const url = `ws://127.0.0.1:${initial.nginx.port}/rpc`;

  progress('Preparing', 'reading shows through Nginx');
  const prepareBy = Date.now() + PREPARE_TIMEOUT_MS;
  const shows = await readPatiently(() => callOnce(url, 'catalog.shows', {}, { timeoutMs: 5000 }), prepareBy);
  const fresh = shows
    .filter((s) => Date.parse(s.startsAt) > Date.now() + 3600_000 && s.seatsAvailable > 40)
    .slice(0, 3);
  const pools = await Promise.all(
    fresh.map(async (s) => {
      const map = await readPatiently(
        () => callOnce(url, 'seats.map', { showId: s.id }, { timeoutMs: 5000 }),
        prepareBy,
      );
      return {
        showId: s.id,
        seatIds: map.rows
          .flatMap((r) => r.seats.filter((x) => x.status === 'available').map((x) => x.id))
          .slice(0, 60),
      };
    }),
  );
  if (pools.length === 0) throw new Error('no future show with free seats: import a catalog first');

  // Bookings made before the run (an earlier bench, people) are not part of this history.
  const runShows = new Set(pools.map((p) => p.showId));
  const before = new Set<string>();
  {
    const snapshot = await readAllBookings(initial, [], (b) => runShows.has(b.showId));
    for (const n of snapshot.nodes) for (const b of n.bookings) before.add(b.id);
  }

  const nonce = randomBytes(4).toString('hex');
  let stopped = false;
  const stop = () => stopped || now() >= o.durationMs;
  const clients = Array.from(
    { length: o.clients ?? 6 },
    (_, p) => new ChaosClient(p + 1, url, recorder, pools, o.seed, o.thinkMs ?? 5, nonce),
  );
  const ctx = { state: initial, driver, recorder, now };
  progress('Chaos', `${faultCount(schedule)} faults planned over ${o.durationMs / 1000} s, seed ${o.seed}`);
  let nemesisLog: NemesisLog = { injected: 0, skipped: [] };
  try {
    [nemesisLog] = await Promise.all([
      nemesis(schedule.steps, ctx, stop, progress),
      ...clients.map((c) => c.run(stop)),
    ]);
  } finally {
    stopped = true;
    await Promise.all(clients.map((c) => c.close()));
  }
  // Calls still in flight when the clients stopped (none, normally) are unknown.
  for (const opId of recorder.pending()) recorder.info(opId, { message: 'run ended before an answer' });

  progress('Healing', 'reviving and resuming every node');
  const healFailures: string[] = [];
  ctx.state = await healAll(ctx.state, driver, recorder, healFailures);
  await saveState(ctx.state);
  await new Promise<void>((resolve) => out.end(resolve));
  progress('Converging', 'waiting until every node has applied the same log');
  const converged = await converge(ctx.state, driver, o.convergeTimeoutMs ?? 60_000);
  progress('Reading the final state of every node');
  const finalRead = 'admin' as const;
  const final = await readAllBookings(ctx.state, history, (b) => runShows.has(b.showId) && !before.has(b.id));
  // What each node said last: a run that did not converge must say why (issue 9).
  const lastWords = converged.views.map((v) =>
    v.status
      ? `node ${v.id}: ${v.status.role}, epoch ${v.status.epoch}, master ${v.status.masterId ?? 'none'}, commit ${v.status.commitIndex}, applied ${v.status.appliedIndex}${v.status.applyError ? `, apply error: ${v.status.applyError}` : ''}${v.status.rejectedEntries ? `, ${v.status.rejectedEntries} entries rejected` : ''}`
      : `node ${v.id}: ${v.process}, no answer`,
  );
  const rejectedEntries = converged.views.reduce((sum, v) => sum + (v.status?.rejectedEntries ?? 0), 0);
  if (!converged.ok)
    for (const n of final.nodes.splice(0))
      final.unreadable.push({
        nodeId: n.nodeId,
        error: `the cluster did not converge after the last heal (${lastWords.join('; ')})`,
      });

  progress('Checking the history', `${history.length} records`);
  const verdict = checkHistory(history, final);
  const fo = failovers(history);
  const foStats = failoverStats(fo);
  const latency = bookingLatency(history).summary();
  const clusterEvents = await events(ctx.state);
  await writeFile(join(o.outDir, 'events.json'), `${JSON.stringify(clusterEvents)}\n`);
  await writeFile(join(o.outDir, 'verdict.json'), `${JSON.stringify(verdict, null, 1)}\n`);
  const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '–');
  const figures: Figure[] = [
    { label: 'faults injected', value: String(nemesisLog.injected) },
    { label: 'failovers (master killed or paused)', value: String(foStats.count) },
    { label: 'failover median', value: ms(foStats.median), target: '≤ 500 ms', met: foStats.median <= 500 },
    { label: 'failover worst', value: ms(foStats.max), target: '≤ 1500 ms', met: foStats.max <= 1500 },
    { label: 'acknowledged bookings', value: String(verdict.stats.acknowledgedBookings) },
    {
      label: 'acknowledged bookings lost',
      value: String(verdict.anomalies.filter((a) => a.kind === 'lost-booking').length),
      target: '0',
      met: !verdict.anomalies.some((a) => a.kind === 'lost-booking'),
    },
    {
      label: 'seats sold twice',
      value: String(verdict.anomalies.filter((a) => a.kind === 'double-sale').length),
      target: '0',
      met: !verdict.anomalies.some((a) => a.kind === 'double-sale'),
    },
    { label: 'booking latency p50 / p99', value: `${ms(latency.p50)} / ${ms(latency.p99)}` },
    {
      label: 'committed entries rejected when applied',
      value: String(rejectedEntries),
      target: '0',
      met: rejectedEntries === 0,
    },
    {
      label: 'converged after the last heal',
      value: converged.ok ? 'yes' : 'no',
      target: 'yes',
      met: converged.ok,
    },
  ];
  const report = await writeReport(o.outDir, {
    title: `Chaos run, seed ${o.seed}`,
    generatedAt: new Date().toISOString(),
    verdict,
    figures,
    series: writeSeries(history).points(o.durationMs),
    faults: history.filter((r) => r.type === 'fault'),
    failovers: fo,
    events: clusterEvents,
    schedule: schedule.steps.map(describeStep),
    notes: [
      `${ctx.state.nodes.length} nodes, driver ${ctx.state.driver}, ${clients.length} clients, interval ${o.intervalMs} ms, faults ${o.faults.join(',')}`,
      `final state read from each node over its wire (admin.bookings); converged: ${converged.ok}`,
      ...lastWords.map((w) => `last status: ${w}`),
      ...nemesisLog.skipped.map((s) => `skipped: ${s}`),
      ...healFailures,
    ],
  });
  return {
    verdict: verdict.verdict,
    seed: o.seed,
    durationS: o.durationMs / 1000,
    faults: {
      planned: faultCount(schedule),
      injected: nemesisLog.injected,
      skipped: nemesisLog.skipped.length,
    },
    failover: { ...foStats, list: fo },
    anomalies: verdict.anomalies.slice(0, 20),
    unknown: verdict.unknown,
    stats: verdict.stats,
    latencyMs: { p50: latency.p50, p99: latency.p99, p999: latency.p999 },
    converged: converged.ok,
    finalRead,
    rejectedEntries,
    lastStatus: [...lastWords, ...healFailures],
    historyFile,
    report,
  };
}
