/**
 * The local driver: every node is a detached `node node/bin/booking-node.mjs` on 127.0.0.1 with a
 * free port, and a private nginx (the real binary) listens on the cluster's port. Everything a
 * later command needs (pids, ports, secrets, logs, the nginx config) is under `.booking/<name>/`.
 *
 * Processes are recognised again by pid plus a marker (an environment entry for nodes, the config
 * path on nginx's command line), so a reused pid is never signalled by mistake.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, exitCodes } from '../../errors.js';
import {
  databaseName,
  dropDatabases,
  ensureMySqlReachable,
  normalizeServerUrl,
  redact,
} from '../../mysql.js';
import { CLUSTER_IDENTITY_PATH, renderNginxConfig } from '../../nginx/config.js';
import { nodeBin, repoRoot, spaDist, stateDir } from '../../paths.js';
import { canBind, freePorts, isListening, waitForPortClosed } from '../../ports.js';
import { processState, signal, spawnDetached, terminate } from '../../processes.js';
import { ensureStateDir, nodeOf, removeStateDir, saveState } from '../../state.js';
import {
  ensureSystemPackage,
  isRoot,
  MissingSystemPackageError,
  systemPackages,
} from '../../system-packages.js';
import type { ClusterDriver, ClusterSpec, ClusterState, NodeState, Progress } from '../driver.js';

const NODE_START_TIMEOUT_MS = 60_000;
const NGINX_START_TIMEOUT_MS = 15_000;

function nodeMarker(state: Pick<ClusterState, 'name'>, dir: string, id: number): string {
  return `BOOKING_CLI_PROCESS=${dir}#${state.name}/n${id}`;
}

function nginxPaths(dir: string) {
  const runtimeDir = path.join(dir, 'nginx');
  return { runtimeDir, configFile: path.join(runtimeDir, 'nginx.conf') };
}

function nodeEnv(state: ClusterState, dir: string, node: NodeState): NodeJS.ProcessEnv {
  const spec = state.spec;
  const peers = state.nodes
    .filter((other) => other.id !== node.id)
    .map((other) => `${other.id}=ws://127.0.0.1:${other.port}`)
    .join(',');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BOOKING_NODE_ID: String(node.id),
    BOOKING_HOST: '127.0.0.1',
    BOOKING_PORT: String(node.port),
    BOOKING_PEERS: peers,
    BOOKING_MYSQL_URL: `${normalizeServerUrl(spec.mysqlUrl)}/${databaseName(state.name, node.id)}`,
    BOOKING_SECRET: state.secret,
    BOOKING_ADMIN_TOKEN: state.adminToken,
    BOOKING_HOLD_TTL_MS: String(spec.holdTtlMs),
    BOOKING_CATALOG: spec.catalog,
  };
  if (spec.heartbeatMs) env.BOOKING_HEARTBEAT_MS = String(spec.heartbeatMs);
  else delete env.BOOKING_HEARTBEAT_MS;
  if (spec.failureTimeoutMs) env.BOOKING_FAILURE_TIMEOUT_MS = String(spec.failureTimeoutMs);
  else delete env.BOOKING_FAILURE_TIMEOUT_MS;
  // The marker is how `nodeRunning` recognises this process (see processes.ts).
  const [key, value] = nodeMarker(state, dir, node.id).split(/=(.*)/s) as [string, string];
  env[key] = value;
  return env;
}

/** The last meaningful line a dead process left in its log: usually why it died. */
async function lastLogLine(file: string | undefined): Promise<string> {
  if (!file) return '';
  try {
    const text = await readFile(file, 'utf8');
    const lines = text.trim().split('\n').slice(-20).reverse();
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        if (parsed.err?.message) return parsed.err.message;
        if (parsed.msg) return parsed.msg;
      } catch {
        if (line.trim()) return line.trim();
      }
    }
  } catch {
    // no log yet
  }
  return '';
}

function spawnNode(state: ClusterState, dir: string, node: NodeState): number {
  return spawnDetached(process.execPath, [nodeBin], {
    cwd: repoRoot,
    env: nodeEnv(state, dir, node),
    logFile: node.logFile ?? path.join(dir, 'logs', `n${node.id}.log`),
  });
}

/** Waits until the node listens, failing early (with its last log line) if its process dies. */
async function waitForNode(state: ClusterState, dir: string, node: NodeState): Promise<void> {
  const marker = nodeMarker(state, dir, node.id);
  const deadline = Date.now() + NODE_START_TIMEOUT_MS;
  for (;;) {
    if (await isListening(node.port)) {
      // Listening could be someone else on a port that was free a moment ago: make sure ours lives.
      if ((await processState(node.pid, marker)) !== 'stopped') return;
    }
    if ((await processState(node.pid, marker)) === 'stopped') {
      const why = await lastLogLine(node.logFile);
      throw new CliError(
        `node ${node.id} exited while starting${why ? `: ${why}` : ''}`,
        `see its log: ${node.logFile}`,
        exitCodes.failed,
      );
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `node ${node.id} did not listen on 127.0.0.1:${node.port} within ${NODE_START_TIMEOUT_MS / 1000} s`,
        `see its log: ${node.logFile}`,
        exitCodes.timeout,
      );
    }
    await sleep(100);
  }
}

async function ensureNginxBinary(progress: Progress): Promise<string> {
  try {
    return await ensureSystemPackage(systemPackages.nginx, { progress });
  } catch (error) {
    if (error instanceof MissingSystemPackageError) {
      throw new CliError(error.message, error.hint, exitCodes.unavailable);
    }
    throw error;
  }
}

async function writeNginxConfig(state: ClusterState, dir: string): Promise<string> {
  const { runtimeDir, configFile } = nginxPaths(dir);
  await mkdir(path.join(runtimeDir, 'tmp'), { recursive: true, mode: 0o700 });
  const spaRoot = existsSync(path.join(spaDist, 'index.html')) ? spaDist : null;
  const config = renderNginxConfig({
    listen: `127.0.0.1:${state.nginx.port}`,
    nodes: state.nodes.map((n) => ({ id: n.id, address: `127.0.0.1:${n.port}` })),
    spaRoot,
    runtimeDir,
    foreground: true,
    // As root, nginx would switch its workers to `nobody`, who cannot enter the 0700 state
    // folder (temp files) nor, often, the checkout. It listens on loopback only.
    ...(isRoot() ? { user: 'root' } : {}),
    clusterName: state.name,
  });
  await writeFile(configFile, config, { mode: 0o600 });
  return configFile;
}

async function startNginx(state: ClusterState, dir: string, nginxBin: string): Promise<number> {
  const { runtimeDir, configFile } = nginxPaths(dir);
  const args = ['-p', runtimeDir, '-c', configFile, '-e', path.join(runtimeDir, 'error.log')];
  const test = spawnSync(nginxBin, [...args, '-t', '-q'], { encoding: 'utf8' });
  if (test.status !== 0) {
    const why = (test.stderr || test.stdout || '').trim().split('\n')[0] ?? '';
    throw new CliError(`nginx rejected the generated config: ${why}`, `see ${configFile}`, exitCodes.failed);
  }
  const pid = spawnDetached(nginxBin, args, { cwd: runtimeDir, logFile: path.join(runtimeDir, 'nginx.out') });
  const deadline = Date.now() + NGINX_START_TIMEOUT_MS;
  const errorLog = path.join(runtimeDir, 'error.log');
  for (;;) {
    const running = (await processState(pid, configFile)) !== 'stopped';
    // Something listening is not enough: when the port was taken meanwhile, nginx retries its
    // bind for seconds while another program answers there. It must answer as this cluster.
    if (running && (await answersAs(state.nginx.port, state.name))) return pid;
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    if (running && log.includes(`bind() to 127.0.0.1:${state.nginx.port} failed`)) {
      await terminate(pid, configFile, { sig: 'SIGTERM', graceMs: 5000 }).catch(() => {});
      throw new CliError(
        `port ${state.nginx.port} on 127.0.0.1 was taken by another program while the nodes started`,
        'pick another with --port, or stop what listens there',
        exitCodes.conflict,
      );
    }
    if (!running) {
      const why = log.trim().split('\n').slice(-1)[0] ?? '';
      throw new CliError(
        `nginx exited while starting${why ? `: ${why.replace(/^.*\[emerg\] \d+#\d+: /, '')}` : ''}`,
        `see ${path.join(runtimeDir, 'error.log')}`,
        exitCodes.failed,
      );
    }
    if (Date.now() > deadline) {
      await terminate(pid, configFile, { sig: 'SIGTERM', graceMs: 5000 }).catch(() => {});
      throw new CliError(
        `nginx did not answer as cluster "${state.name}" on 127.0.0.1:${state.nginx.port}`,
        undefined,
        exitCodes.timeout,
      );
    }
    await sleep(100);
  }
}

/** Does the Nginx on `port` front the cluster `name` (its identity location, nginx/config.ts)? */
async function answersAs(port: number, name: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${CLUSTER_IDENTITY_PATH}`, {
      signal: AbortSignal.timeout(1000),
    });
    if (!response.ok) return false;
    const body = (await response.json()) as { cluster?: unknown };
    return body.cluster === name;
  } catch {
    return false;
  }
}

async function stopNginx(state: ClusterState): Promise<void> {
  if (!state.nginx.pid || !state.nginx.configFile) return;
  // SIGTERM is nginx's fast shutdown: it does not wait for hour-long WebSockets to end.
  await terminate(state.nginx.pid, state.nginx.configFile, { sig: 'SIGTERM', graceMs: 5000 });
}

/**
 * SIGTERM first: a node drains its calls, hands mastership over and closes its sockets with 1001
 * (node/src/shutdown.ts), and forces its own exit after 8 s. SIGKILL only past that.
 */
const NODE_STOP_GRACE_MS = 10_000;

async function stopNodes(state: ClusterState, dir: string): Promise<void> {
  await Promise.all(
    state.nodes.map(async (node) => {
      if (node.pid) {
        await terminate(node.pid, nodeMarker(state, dir, node.id), {
          sig: 'SIGTERM',
          graceMs: NODE_STOP_GRACE_MS,
        });
      }
    }),
  );
}

/** Reads the file from `offset`, returning complete lines and the new offset. */
async function readLinesFrom(file: string, offset: number): Promise<{ lines: string[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { lines: [], offset };
  }
  if (size < offset) offset = 0; // truncated or replaced
  if (size === offset) return { lines: [], offset };
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end === -1) return { lines: [], offset };
    return {
      lines: text.slice(0, end).split('\n'),
      offset: offset + Buffer.byteLength(text.slice(0, end + 1)),
    };
  } finally {
    await handle.close();
  }
}

function lineTime(line: string): number {
  const match = /"time":(\d+)/.exec(line);
  return match ? Number(match[1]) : 0;
}

export function createLocalDriver(): ClusterDriver {
  return {
    name: 'local',

    async start(spec: ClusterSpec, secrets, progress: Progress, signal?: AbortSignal): Promise<ClusterState> {
      progress('Checking nginx and MySQL');
      const nginxBin = await ensureNginxBinary(progress);
      const serverUrl = normalizeServerUrl(spec.mysqlUrl);
      await ensureMySqlReachable(serverUrl, progress);
      if (!(await canBind(spec.port))) {
        throw new CliError(
          `port ${spec.port} on 127.0.0.1 is already in use`,
          'pick another with --port, or stop what listens there',
          exitCodes.conflict,
        );
      }
      const dir = await ensureStateDir(spec.name);
      await mkdir(path.join(dir, 'logs'), { recursive: true, mode: 0o700 });
      let ports = await freePorts(spec.nodes);
      while (ports.includes(spec.port)) ports = await freePorts(spec.nodes);
      const { configFile } = nginxPaths(dir);
      const state: ClusterState = {
        name: spec.name,
        driver: 'local',
        spec: { ...spec, mysqlUrl: serverUrl },
        url: `http://localhost:${spec.port}`,
        secret: secrets.secret,
        adminToken: secrets.adminToken,
        startedAt: new Date().toISOString(),
        nodes: ports.map((port, i) => ({
          id: i + 1,
          port,
          rpcUrl: `ws://127.0.0.1:${port}/rpc`,
          logFile: path.join(dir, 'logs', `n${i + 1}.log`),
        })),
        nginx: { port: spec.port, configFile },
      };
      // Saved before anything is spawned and after every spawn: a start interrupted half-way
      // (Ctrl-C, a crash) still leaves what `cluster stop` needs to clean up.
      await saveState(state);
      try {
        progress(`Starting ${spec.nodes} node${spec.nodes === 1 ? '' : 's'}`, redact(serverUrl));
        for (const node of state.nodes) {
          signal?.throwIfAborted();
          node.pid = spawnNode(state, dir, node);
          await saveState(state);
        }
        for (const [i, node] of state.nodes.entries()) {
          signal?.throwIfAborted();
          progress(
            `Starting ${spec.nodes} node${spec.nodes === 1 ? '' : 's'}`,
            `${i} of ${spec.nodes} listening`,
          );
          await waitForNode(state, dir, node);
        }
        signal?.throwIfAborted();
        progress('Starting nginx', `127.0.0.1:${spec.port}`);
        await writeNginxConfig(state, dir);
        state.nginx.pid = await startNginx(state, dir, nginxBin);
        await saveState(state);
        return state;
      } catch (error) {
        await stopNginx(state).catch(() => {});
        await stopNodes(state, dir).catch(() => {});
        await saveState({ ...state, stoppedAt: new Date().toISOString() }).catch(() => {});
        throw error;
      }
    },

    async kill(state, nodeId, opts) {
      const node = nodeOf(state, nodeId);
      if (!node.pid) return; // never spawned: nothing runs
      const marker = nodeMarker(state, stateDir(state.name), nodeId);
      const current = await processState(node.pid, marker);
      if (current === 'stopped') return;
      if (opts.pause) {
        signal(node.pid, 'SIGSTOP');
        return;
      }
      // A stopped process takes SIGKILL too; no SIGCONT needed.
      await terminate(node.pid, marker, { sig: 'SIGKILL', graceMs: 5000 });
    },

    async revive(state, nodeId, progress) {
      const dir = await ensureStateDir(state.name);
      const node = nodeOf(state, nodeId);
      const marker = nodeMarker(state, dir, nodeId);
      const current = await processState(node.pid, marker);
      if (current === 'running') return state;
      if (current === 'paused') {
        progress(`Resuming node ${nodeId}`, 'SIGCONT');
        signal(node.pid!, 'SIGCONT');
        return state;
      }
      progress(`Restarting node ${nodeId}`, `127.0.0.1:${node.port}`);
      if (!(await canBind(node.port))) {
        await waitForPortClosed(node.port, 5000).catch(() => {
          throw new CliError(
            `node ${nodeId}'s port ${node.port} is taken by another process`,
            'stop that process, or restart the whole cluster (booking cluster stop, then start)',
            exitCodes.conflict,
          );
        });
      }
      const next: ClusterState = {
        ...state,
        nodes: state.nodes.map((n) => (n.id === nodeId ? { ...n } : n)),
      };
      const revived = next.nodes.find((n) => n.id === nodeId)!;
      revived.pid = spawnNode(next, dir, revived);
      await saveState(next);
      await waitForNode(next, dir, revived);
      return next;
    },

    async nodeRunning(state, nodeId) {
      const node = state.nodes.find((n) => n.id === nodeId);
      if (!node?.pid) return 'stopped';
      return processState(node.pid, nodeMarker(state, stateDir(state.name), nodeId));
    },

    async stop(state, opts, progress) {
      const dir = await ensureStateDir(state.name);
      progress('Stopping nginx');
      await stopNginx(state);
      progress('Stopping nodes');
      await stopNodes(state, dir);
      const ports = [state.nginx.port, ...state.nodes.map((n) => n.port)];
      await Promise.all(ports.map((port) => waitForPortClosed(port, 10_000).catch(() => {})));
      if (opts.purge) {
        progress('Dropping databases', redact(state.spec.mysqlUrl));
        try {
          await dropDatabases(
            state.spec.mysqlUrl,
            state.name,
            state.nodes.map((n) => n.id),
          );
        } catch (error) {
          throw new CliError(
            `stopped, but could not drop the databases: ${(error as Error).message}`,
            `drop booking_${state.name}_n* by hand, then: booking cluster stop --name ${state.name} --purge`,
            exitCodes.unavailable,
          );
        }
        await removeStateDir(state.name);
      }
    },

    async *logs(state, opts) {
      const nodes = state.nodes.filter((n) => opts.nodeId === undefined || n.id === opts.nodeId);
      const offsets = new Map<number, number>(nodes.map((n) => [n.id, 0]));
      const readAll = async () => {
        const batch: { id: number; line: string }[] = [];
        for (const node of nodes) {
          if (!node.logFile) continue;
          const { lines, offset } = await readLinesFrom(node.logFile, offsets.get(node.id) ?? 0);
          offsets.set(node.id, offset);
          for (const line of lines) if (line.trim()) batch.push({ id: node.id, line });
        }
        // Interleave the nodes by pino's timestamp (stable: lines without one keep their order).
        if (nodes.length > 1) batch.sort((a, b) => lineTime(a.line) - lineTime(b.line));
        return batch;
      };
      for (const { id, line } of await readAll()) yield `n${id} | ${line}`;
      while (opts.follow && !opts.signal?.aborted) {
        await sleep(200, undefined, { signal: opts.signal }).catch(() => {});
        for (const { id, line } of await readAll()) yield `n${id} | ${line}`;
      }
    },
  };
}
