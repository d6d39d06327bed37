/**
 * What the `cluster` and `catalog` commands do, independent of how it is shown: load the state,
 * pick the driver, act, wait for the cluster to settle, and return the design's result shapes.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClusterEvent, ImportReport } from '@booking/node/protocol';
import type { ClusterDriver, ClusterSpec, ClusterState, Progress } from './drivers/driver.js';
import { getDriver } from './drivers/index.js';
import { CliError, exitCodes } from './errors.js';
import {
  agreedMaster,
  majority,
  mergeEvents,
  type NodeObservation,
  observeCluster,
  pollUntil,
  type Settled,
  type StatusView,
  settledMaster,
  toStatusView,
} from './observe.js';
import { waitFor } from './ports.js';
import { callOnce, RpcError, withRpc } from './rpc-client.js';
import { loadState, nodeOf, readState, saveState, validateClusterName } from './state.js';

export const ELECTION_TIMEOUT_MS = 60_000;
export const FAILOVER_TIMEOUT_MS = 30_000;
export const CATCH_UP_TIMEOUT_MS = 60_000;
/** After the election (start) or the catch-up (revive): the catalog and the last entries apply. */
export const READY_TIMEOUT_MS = 30_000;

export type Warn = (message: string) => void;

/**
 * How long one agreement must hold before a wait accepts a master that is not the highest node
 * (bully would normally hand over to it): several failure timeouts of the nodes.
 */
function holdMs(state: ClusterState): number {
  return Math.max(1500, 5 * (state.spec.failureTimeoutMs ?? 300));
}

async function anyProcessRunning(state: ClusterState, driver: ClusterDriver): Promise<boolean> {
  const states = await Promise.all(state.nodes.map((n) => driver.nodeRunning(state, n.id)));
  return states.some((s) => s !== 'stopped');
}

/** A running cluster's state and driver, or a clear error if it does not exist or is stopped. */
export async function openCluster(name: string): Promise<{ state: ClusterState; driver: ClusterDriver }> {
  const state = await loadState(name);
  const driver = await getDriver(state.driver);
  if (state.stoppedAt && !(await anyProcessRunning(state, driver))) {
    throw new CliError(
      `cluster "${name}" is stopped`,
      `start it with: booking cluster start --name ${name}${state.driver === 'docker' ? ' --driver docker' : ''}`,
      exitCodes.notFound,
    );
  }
  return { state, driver };
}

function secret(): string {
  // 32 random bytes: what a node requires of BOOKING_SECRET and BOOKING_ADMIN_TOKEN.
  return randomBytes(32).toString('base64url');
}

export async function clusterStatus(name: string): Promise<StatusView> {
  const { state, driver } = await openCluster(name);
  return toStatusView(state, await observeCluster(state, driver));
}

/** Waits until every node agrees on one settled master (after start: all nodes have joined). */
async function waitForElection(
  state: ClusterState,
  driver: ClusterDriver,
  progress: Progress,
  timeoutMs: number,
): Promise<Settled> {
  const total = state.nodes.length;
  const found = await pollUntil(state, driver, settledMaster(total, { holdMs: holdMs(state) }), {
    timeoutMs,
    intervalMs: 100,
    onPoll: (obs) => {
      const answering = obs.filter((o) => o.status).length;
      const claims = obs.filter((o) => o.status?.role === 'master').map((o) => `n${o.id}`);
      progress(
        'Waiting for a master to be elected',
        `${answering}/${total} nodes answer${claims.length ? `, ${claims.join(', ')} claim${claims.length === 1 ? 's' : ''} master` : ''}`,
      );
    },
  });
  if (!found) {
    throw new CliError(
      `no master that all ${total} nodes agree on after ${timeoutMs / 1000} s`,
      `the nodes are still running: see booking cluster status --name ${state.name} and booking cluster logs --name ${state.name}; stop them with booking cluster stop --name ${state.name}`,
      exitCodes.timeout,
    );
  }
  return found;
}

async function waitForNginx(state: ClusterState, timeoutMs: number): Promise<void> {
  const url = `http://127.0.0.1:${state.nginx.port}/healthz`;
  try {
    await waitFor(
      `nginx at ${url}`,
      async () => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
          return response.ok;
        } catch {
          return false;
        }
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch {
    throw new CliError(
      `nginx does not answer ${url}`,
      `see ${state.nginx.configFile ? `${state.nginx.configFile.replace(/nginx\.conf$/, 'error.log')}` : 'the nginx logs'}`,
      exitCodes.timeout,
    );
  }
}

/** What a node's /readyz said: ready, a reason it is not, or null when it cannot be asked. */
type ReadyAnswer = { ready: true } | { ready: false; reason: string } | null;

/** A node's /readyz, next to its /rpc: directly for the local driver, through Nginx for docker. */
export function readyUrl(rpcUrl: string): string {
  return rpcUrl.replace(/^ws(s?):/, 'http$1:').replace(/\/rpc$/, '/readyz');
}

async function askReady(rpcUrl: string): Promise<ReadyAnswer | 'no-route'> {
  try {
    const response = await fetch(readyUrl(rpcUrl), { signal: AbortSignal.timeout(1000) });
    // A proxy without the route (an older Nginx config) cannot tell; the other waits still hold.
    if (response.status === 404) return 'no-route';
    const body = (await response.json().catch(() => ({}))) as { reason?: string };
    return response.ok ? { ready: true } : { ready: false, reason: body.reason ?? `HTTP ${response.status}` };
  } catch {
    return null;
  }
}

/**
 * Waits until each node in `ids` answers /readyz 200: it knows the master, has caught up and has
 * its catalog. The progress line shows why the others are not ready yet.
 */
async function waitForReady(
  state: ClusterState,
  ids: number[],
  progress: Progress,
  timeoutMs: number,
  allow: string[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting: string[] = [];
  for (;;) {
    const answers = await Promise.all(ids.map((id) => askReady(nodeOf(state, id).rpcUrl)));
    waiting = answers.flatMap((a, i) =>
      a === 'no-route' || a?.ready || (a && allow.includes(a.reason))
        ? []
        : [`n${ids[i]} ${a === null ? 'not answering' : a.reason}`],
    );
    if (waiting.length === 0) return;
    progress('Waiting for the nodes to be ready', waiting.join(', '));
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(
    `not ready after ${timeoutMs / 1000} s: ${waiting.join(', ')}`,
    `see booking cluster status --name ${state.name} and booking cluster logs --name ${state.name}`,
    exitCodes.timeout,
  );
}

/**
 * A new cluster's master loads the bundled catalog right after the first election (a replicated
 * write). Wait for it through Nginx, so "ready" means a customer sees movies.
 */
async function waitForCatalog(state: ClusterState, timeoutMs: number, warn: Warn): Promise<boolean> {
  const url = `ws://127.0.0.1:${state.nginx.port}/rpc`;
  const loaded = await waitFor(
    'the catalog',
    async () => {
      const movies = await callOnce(url, 'catalog.movies', {}, { timeoutMs: 2000 }).catch(() => []);
      return movies.length > 0;
    },
    { timeoutMs, intervalMs: 200 },
  ).then(
    () => true,
    () => false,
  );
  if (!loaded) {
    warn(
      `the cluster is up but shows no movies yet; load them with: booking catalog import --name ${state.name}`,
    );
  }
  return loaded;
}

export interface StartOptions {
  electionTimeoutMs?: number;
  warn?: Warn;
  /** Ctrl-C: the driver stops what it has started and the start rejects. */
  signal?: AbortSignal;
}

export async function startCluster(
  spec: ClusterSpec,
  progress: Progress,
  opts: StartOptions = {},
): Promise<StatusView> {
  validateClusterName(spec.name);
  const previous = await readState(spec.name);
  let secrets = { secret: secret(), adminToken: secret() };
  if (previous) {
    const previousDriver = await getDriver(previous.driver);
    if (await anyProcessRunning(previous, previousDriver)) {
      throw new CliError(
        `cluster "${spec.name}" is already running at ${previous.url} (${previous.driver} driver)`,
        `see it with booking cluster status --name ${spec.name}, or stop it first with booking cluster stop --name ${spec.name}`,
        exitCodes.conflict,
      );
    }
    // Same cluster again: its databases hold tickets signed with a key derived from this secret.
    secrets = { secret: previous.secret, adminToken: previous.adminToken };
  }
  const driver = await getDriver(spec.driver);
  const state = await driver.start(spec, secrets, progress, opts.signal);
  delete state.stoppedAt;
  await saveState(state);
  opts.signal?.throwIfAborted();
  const settled = await waitForElection(
    state,
    driver,
    progress,
    opts.electionTimeoutMs ?? ELECTION_TIMEOUT_MS,
  );
  progress('Waiting for nginx', state.url);
  await waitForNginx(state, 15_000);
  let catalogLoaded = true;
  if (spec.catalog === 'bundled') {
    progress('Loading the catalog', 'bundled');
    catalogLoaded = await waitForCatalog(state, 30_000, opts.warn ?? (() => {}));
  }
  // Without the catalog (already warned about) the nodes are otherwise ready: that is enough.
  await waitForReady(
    state,
    state.nodes.map((n) => n.id),
    progress,
    READY_TIMEOUT_MS,
    catalogLoaded ? [] : ['catalog-loading'],
  );
  // A fresh look (commit indexes after the catalog) if it still shows the settled master; else
  // the view the wait accepted (a fresh look can catch a node between two heartbeats).
  const fresh = await observeCluster(state, driver);
  const same = agreedMaster(fresh, state.nodes.length)?.masterId === settled.master.masterId;
  return toStatusView(state, same ? fresh : settled.observations);
}

export interface KillResult {
  killed: number;
  previousMasterId: number | null;
  newMasterId: number | null;
  failoverMs: number | null;
}

export async function killNode(
  name: string,
  target: { master: true } | { nodeId: number },
  opts: { pause: boolean; wait: boolean; timeoutMs?: number },
  progress: Progress,
  warn: Warn,
): Promise<KillResult> {
  const { state, driver } = await openCluster(name);
  const total = state.nodes.length;
  const before = await observeCluster(state, driver);
  const master = agreedMaster(before, majority(total));
  let nodeId: number;
  if ('master' in target) {
    if (!master) {
      throw new CliError(
        `cluster "${name}" has no master right now`,
        `wait for the election (booking cluster status --name ${name}), or pick a node with --node`,
        exitCodes.failed,
      );
    }
    nodeId = master.masterId;
  } else {
    nodeId = nodeOf(state, target.nodeId).id;
  }
  const running = before.find((o) => o.id === nodeId)?.process;
  if (running === 'stopped' || (running === 'paused' && opts.pause)) {
    throw new CliError(
      `node ${nodeId} is already ${running === 'paused' ? 'paused' : 'down'}`,
      `bring it back with booking cluster revive --name ${name} --node ${nodeId}`,
      exitCodes.conflict,
    );
  }
  const previousMasterId = master?.masterId ?? null;
  progress(`${opts.pause ? 'Pausing' : 'Killing'} node ${nodeId}`, opts.pause ? 'SIGSTOP' : 'SIGKILL');
  const killedAt = performance.now();
  await driver.kill(state, nodeId, { pause: opts.pause });
  const result: KillResult = { killed: nodeId, previousMasterId, newMasterId: null, failoverMs: null };
  if (!opts.wait) return result;

  const left = before.filter((o) => o.id !== nodeId && o.process === 'running').length;
  if (left < majority(total)) {
    warn(
      `${left} of ${total} nodes are left: no majority, so no master until a node is revived (booking cluster revive --name ${name} --node ${nodeId})`,
    );
    return result;
  }
  const timeoutMs = opts.timeoutMs ?? FAILOVER_TIMEOUT_MS;
  if (nodeId !== previousMasterId) {
    // A slave went away: the master stays; report it once a majority still follows it.
    const still = await pollUntil(state, driver, settledMaster(majority(total), { holdMs: 0 }), {
      timeoutMs,
    });
    return { ...result, newMasterId: still?.master.masterId ?? null };
  }
  progress('Waiting for a new master', `node ${nodeId} was the master`);
  const elected = await pollUntil(
    state,
    driver,
    settledMaster(majority(total), { holdMs: holdMs(state), accept: (m) => m.masterId !== nodeId }),
    { timeoutMs, intervalMs: 20 },
  );
  if (!elected) {
    throw new CliError(
      `no new master within ${timeoutMs / 1000} s after ${opts.pause ? 'pausing' : 'killing'} node ${nodeId}`,
      `see booking cluster events --name ${name} and booking cluster logs --name ${name}`,
      exitCodes.timeout,
    );
  }
  // From the signal to the first look at the master the cluster settled on.
  return {
    ...result,
    newMasterId: elected.master.masterId,
    failoverMs: Math.max(1, Math.round(elected.since - killedAt)),
  };
}

export async function reviveNode(
  name: string,
  nodeId: number,
  progress: Progress,
  opts: { timeoutMs?: number } = {},
): Promise<StatusView> {
  const { state, driver } = await openCluster(name);
  nodeOf(state, nodeId);
  if ((await driver.nodeRunning(state, nodeId)) === 'running') {
    throw new CliError(
      `node ${nodeId} is already running`,
      `see booking cluster status --name ${name}`,
      exitCodes.conflict,
    );
  }
  const next = await driver.revive(state, nodeId, progress);
  await saveState(next);
  const total = next.nodes.length;
  let target: number | null = null;
  const settle = settledMaster(majority(total), { holdMs: holdMs(next) });
  const caughtUp = await pollUntil(
    next,
    driver,
    (obs: NodeObservation[]) => {
      const settled = settle(obs);
      const self = obs.find((o) => o.id === nodeId)?.status;
      if (!settled || !self) return null;
      // The target is fixed the first time we see the master: what was committed when we looked.
      target ??= settled.master.commitIndex;
      progress(`Waiting for node ${nodeId} to catch up`, `applied ${self.appliedIndex} of ${target}`);
      return self.masterId === settled.master.masterId && self.appliedIndex >= target ? obs : null;
    },
    { timeoutMs: opts.timeoutMs ?? CATCH_UP_TIMEOUT_MS, intervalMs: 100 },
  );
  if (!caughtUp) {
    throw new CliError(
      `node ${nodeId} runs again but has not caught up with the master`,
      `see booking cluster status --name ${name} and booking cluster logs --name ${name} --node ${nodeId}`,
      exitCodes.timeout,
    );
  }
  await waitForReady(next, [nodeId], progress, READY_TIMEOUT_MS);
  return toStatusView(next, caughtUp);
}

export async function stopCluster(
  name: string,
  opts: { purge: boolean },
  progress: Progress,
): Promise<{ stopped: true }> {
  const state = await loadState(name);
  const driver = await getDriver(state.driver);
  await driver.stop(state, opts, progress);
  if (!opts.purge) await saveState({ ...state, stoppedAt: new Date().toISOString() });
  return { stopped: true };
}

export async function clusterEvents(
  name: string,
  opts: { sinceLamport?: number } = {},
): Promise<ClusterEvent[]> {
  const { state, driver } = await openCluster(name);
  const observations = await observeCluster(state, driver);
  const reachable = observations.filter((o) => o.status !== null);
  if (reachable.length === 0) {
    throw new CliError(
      `no node of cluster "${name}" answers`,
      `see booking cluster status --name ${name}`,
      exitCodes.failed,
    );
  }
  const params = opts.sinceLamport === undefined ? {} : { sinceLamport: opts.sinceLamport };
  const perNode = await Promise.all(
    reachable.map((o) => callOnce(o.rpcUrl, 'cluster.events', params, { timeoutMs: 5000 }).catch(() => [])),
  );
  return mergeEvents(perNode);
}

export interface ImportOptions {
  source: 'bundled' | 'tmdb';
  tmdbUrl?: string;
  tmdbKey?: string;
  showtimesUrl?: string;
  days?: number;
}

export async function importCatalog(
  name: string,
  opts: ImportOptions,
  progress: Progress,
): Promise<ImportReport> {
  const { state, driver } = await openCluster(name);
  const master = agreedMaster(await observeCluster(state, driver), majority(state.nodes.length));
  if (!master) {
    throw new CliError(
      `cluster "${name}" has no master right now`,
      `wait for the election (booking cluster status --name ${name}) and retry`,
      exitCodes.failed,
    );
  }
  const url = state.nodes.find((n) => n.id === master.masterId)!.rpcUrl;
  progress(`Importing the ${opts.source} catalog`, `through master n${master.masterId}`);
  const params = {
    source: opts.source,
    ...(opts.tmdbUrl ? { tmdbUrl: opts.tmdbUrl } : {}),
    ...(opts.tmdbKey ? { tmdbKey: opts.tmdbKey } : {}),
    ...(opts.showtimesUrl ? { showtimesUrl: opts.showtimesUrl } : {}),
    ...(opts.days ? { days: opts.days } : {}),
  };
  try {
    return await withRpc(url, { adminToken: state.adminToken }, (rpc) =>
      rpc.call('admin.importCatalog', params, 180_000),
    );
  } catch (error) {
    if (error instanceof RpcError) {
      throw new CliError(`catalog import failed: ${error.message}`, undefined, exitCodes.failed);
    }
    throw error;
  }
}
