/**
 * The docker driver: the cluster as containers on the local Docker engine, through dockerode only.
 *
 *   network  booking-<name>        a bridge network with its own /24, fixed addresses per container
 *   MySQL    booking-<name>-db<i>  one MariaDB per node, data in volume booking-<name>-db<i>
 *   nodes    booking-<name>-n<i>   the booking node, peers and MySQL by address on the network
 *   Nginx    booking-<name>-nginx  the only published port: 127.0.0.1:<port> -> 80
 *
 * Addresses are fixed (node i at .10+i, its MySQL at .130+i) so that a killed and restarted node
 * comes back where Nginx and its peers expect it; Nginx resolves nothing at run time.
 * Everything carries the labels `booking.managed=true` and `booking.cluster=<name>` (plus role
 * and node id): `stop` finds and removes what a cluster owns by label, also after a crashed start.
 * `kill` is docker kill (SIGKILL), `--pause` docker pause; `revive` unpauses or starts the same
 * container again (same address, same volume); `stop` removes containers and the network, `--purge`
 * also the volumes, the cluster's Nginx image and the state folder.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type Docker from 'dockerode';
import { CliError, exitCodes } from '../../errors.js';
import { databaseName } from '../../mysql.js';
import { canBind, isListening } from '../../ports.js';
import { nodeOf, removeStateDir, saveState } from '../../state.js';
import type { ClusterDriver, ClusterSpec, ClusterState, NodeState, Progress } from '../driver.js';
import {
  clusterFilter,
  clusterLabels,
  connect,
  containerStatus,
  demux,
  dockerMessage,
  ignoreMissing,
  lines,
  names,
  poll,
  statusCode,
  tailLogs,
} from './engine.js';
import { ensureImage, imageSpecs, resolveBaseImages } from './images.js';
import { dockerNginxConfig, NODE_PORT } from './nginx.js';

export { LABEL, names } from './engine.js';

const MAX_NODES = 100;
const MYSQL_START_TIMEOUT_MS = 120_000;
const NODE_START_TIMEOUT_MS = 120_000;

interface Layout {
  subnet: string;
  gateway: string;
  nginx: string;
  node: (id: number) => string;
  mysql: (id: number) => string;
}

function layout(prefix: string): Layout {
  return {
    subnet: `${prefix}.0/24`,
    gateway: `${prefix}.1`,
    nginx: `${prefix}.5`,
    node: (id) => `${prefix}.${10 + id}`,
    mysql: (id) => `${prefix}.${130 + id}`,
  };
}

/** A MySQL password of a cluster: derived from its secret, so a restart finds the same one. */
function mysqlPassword(secret: string, account: 'root' | 'node' = 'root'): string {
  const label = account === 'root' ? 'booking-mysql' : 'booking-mysql-node';
  return createHash('sha256').update(`${label}:${secret}`).digest('hex').slice(0, 32);
}

/** Each node reaches its database as this account, which has rights on that database only. */
const NODE_DB_USER = 'booking';

function nodeEnv(state: ClusterState, net: Layout, id: number): string[] {
  const spec = state.spec;
  const peers = state.nodes
    .filter((n) => n.id !== id)
    .map((n) => `${n.id}=ws://${net.node(n.id)}:${NODE_PORT}`)
    .join(',');
  const env = [
    `BOOKING_NODE_ID=${id}`,
    'BOOKING_HOST=0.0.0.0',
    `BOOKING_PORT=${NODE_PORT}`,
    `BOOKING_PEERS=${peers}`,
    `BOOKING_MYSQL_URL=mysql://${NODE_DB_USER}:${mysqlPassword(state.secret, 'node')}@${net.mysql(id)}:3306/${databaseName(state.name, id)}`,
    `BOOKING_SECRET=${state.secret}`,
    `BOOKING_ADMIN_TOKEN=${state.adminToken}`,
    `BOOKING_HOLD_TTL_MS=${spec.holdTtlMs}`,
    `BOOKING_CATALOG=${spec.catalog}`,
    // Clients reach the nodes through Nginx: believe its X-Real-IP, so per-address limits count
    // clients, not the one proxy.
    `BOOKING_TRUSTED_PROXIES=${net.nginx}`,
  ];
  if (spec.heartbeatMs) env.push(`BOOKING_HEARTBEAT_MS=${spec.heartbeatMs}`);
  if (spec.failureTimeoutMs) env.push(`BOOKING_FAILURE_TIMEOUT_MS=${spec.failureTimeoutMs}`);
  return env;
}

/** Creates the cluster network on the first free 10.231.x.0/24 (starting from a hash of the name). */
async function createNetwork(docker: Docker, cluster: string): Promise<{ id: string; net: Layout }> {
  const start = createHash('sha256').update(cluster).digest().readUInt16BE(0) % 250;
  let lastError = '';
  for (let i = 0; i < 250; i++) {
    const net = layout(`10.231.${(start + i) % 250}`);
    try {
      const network = await docker.createNetwork({
        Name: names.network(cluster),
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: clusterLabels(cluster),
        IPAM: { Driver: 'default', Config: [{ Subnet: net.subnet, Gateway: net.gateway }] },
      });
      return { id: network.id, net };
    } catch (error) {
      lastError = dockerMessage(error);
      if (!/overlap|in use|already/i.test(lastError) || /already exists/i.test(lastError)) break;
    }
  }
  throw new CliError(`could not create the cluster network: ${lastError}`, undefined, exitCodes.failed);
}

async function listClusterContainers(docker: Docker, cluster: string) {
  return docker.listContainers({ all: true, filters: clusterFilter(cluster) });
}

async function startContainer(docker: Docker, options: Docker.ContainerCreateOptions): Promise<string> {
  const container = await docker.createContainer(options);
  try {
    await container.start();
  } catch (error) {
    const message = dockerMessage(error);
    if (/port is already allocated|address already in use/i.test(message)) {
      throw new CliError(
        `port ${JSON.stringify(options.HostConfig?.PortBindings)} on the host is already in use`,
        'pick another with --port, or stop what listens there',
        exitCodes.conflict,
      );
    }
    throw new CliError(`starting ${options.name} failed: ${message}`);
  }
  return container.id;
}

async function waitMysqlHealthy(docker: Docker, id: string, name: string): Promise<void> {
  await poll(
    `MySQL ${name} to accept connections`,
    async () => {
      const info = await docker.getContainer(id).inspect();
      if (!info.State.Running) {
        const tail = await tailLogs(docker, id);
        throw new CliError(`MySQL container ${name} exited (${info.State.ExitCode})`, tail.join('\n'));
      }
      return info.State.Health?.Status === 'healthy';
    },
    { timeoutMs: MYSQL_START_TIMEOUT_MS, intervalMs: 300 },
  );
}

/**
 * GET url answers 2xx within timeoutMs? Plain node:http rather than fetch: its socket and timer
 * keep the process alive while waiting (fetch with AbortSignal.timeout may let a CLI process
 * that has nothing else to do exit in the middle of the wait).
 */
function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
  });
}

/** Waits until the node answers /healthz through Nginx (it runs, migrated its database, listens). */
async function waitNodeUp(docker: Docker, state: ClusterState, node: NodeState): Promise<void> {
  const name = names.node(state.name, node.id);
  await poll(
    `node ${node.id} to answer`,
    async () => {
      if ((await containerStatus(docker, node.containerId)) === 'stopped') {
        const tail = await tailLogs(docker, node.containerId ?? name);
        throw new CliError(`node ${node.id} (container ${name}) exited during start`, tail.join('\n'));
      }
      return httpOk(`http://127.0.0.1:${state.nginx.port}/nodes/${node.id}/healthz`);
    },
    { timeoutMs: NODE_START_TIMEOUT_MS, intervalMs: 300 },
  );
}

async function removeClusterObjects(
  docker: Docker,
  cluster: string,
  opts: { volumes: boolean | string[]; images: boolean },
  progress?: Progress,
): Promise<void> {
  const containers = await listClusterContainers(docker, cluster);
  if (containers.length > 0) progress?.('Removing containers', `${containers.length}`);
  // force: a running or paused container is killed first. v: anonymous volumes only.
  await Promise.all(
    containers.map((c) => ignoreMissing(() => docker.getContainer(c.Id).remove({ force: true, v: true }))),
  );
  const networks = await docker.listNetworks({ filters: clusterFilter(cluster) });
  if (networks.length > 0) progress?.('Removing the network');
  for (const network of networks) await ignoreMissing(() => docker.getNetwork(network.Id).remove());
  if (opts.volumes) {
    const { Volumes } = await docker.listVolumes({ filters: clusterFilter(cluster) });
    const wanted = (Volumes ?? []).filter(
      (v) => opts.volumes === true || (Array.isArray(opts.volumes) && opts.volumes.includes(v.Name)),
    );
    if (wanted.length > 0) progress?.('Removing volumes', wanted.map((v) => v.Name).join(' '));
    for (const volume of wanted) await ignoreMissing(() => docker.getVolume(volume.Name).remove());
  }
  if (opts.images) {
    const images = await docker.listImages({ filters: clusterFilter(cluster) });
    for (const image of images) await ignoreMissing(() => docker.getImage(image.Id).remove({ force: true }));
  }
}

/** A container's place on the cluster network: a fixed address, and a short name if it has one. */
function fixedAddress(network: string, ipv4: string, alias?: string) {
  return {
    EndpointsConfig: {
      [network]: { IPAMConfig: { IPv4Address: ipv4 }, ...(alias ? { Aliases: [alias] } : {}) },
    },
  };
}

/** The layout of a running cluster's network, read back from the engine (its subnet fixes every address). */
async function networkLayout(
  docker: Docker,
  cluster: string,
): Promise<{ network: Docker.Network; net: Layout }> {
  const network = docker.getNetwork(names.network(cluster));
  let info: Docker.NetworkInspectInfo;
  try {
    info = (await network.inspect()) as Docker.NetworkInspectInfo;
  } catch (error) {
    if (statusCode(error) === 404)
      throw new CliError(`cluster "${cluster}" has no network`, 'is it running?', exitCodes.notFound);
    throw error;
  }
  const subnet = info.IPAM?.Config?.[0]?.Subnet;
  const prefix = subnet ? /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet)?.[1] : undefined;
  if (!prefix) throw new CliError(`network ${names.network(cluster)} has an unexpected subnet: ${subnet}`);
  return { network, net: layout(prefix) };
}

/** Is the container attached to the cluster network right now? */
async function onNetwork(docker: Docker, state: ClusterState, node: NodeState): Promise<boolean> {
  const info = await docker.getContainer(node.containerId ?? names.node(state.name, node.id)).inspect();
  return Object.hasOwn(info.NetworkSettings?.Networks ?? {}, names.network(state.name));
}

export function createDockerDriver(): ClusterDriver {
  return {
    name: 'docker',

    async start(spec: ClusterSpec, secrets, progress: Progress): Promise<ClusterState> {
      if (spec.nodes < 1 || spec.nodes > MAX_NODES) {
        throw new CliError(`the docker driver runs 1 to ${MAX_NODES} nodes`, undefined, exitCodes.usage);
      }
      progress('Connecting to Docker');
      const docker = await connect();
      const leftovers = await listClusterContainers(docker, spec.name);
      if (leftovers.some((c) => c.State === 'running' || c.State === 'paused')) {
        throw new CliError(
          `cluster "${spec.name}" already has running containers`,
          `stop it first: booking cluster stop --name ${spec.name}`,
          exitCodes.conflict,
        );
      }
      if (!(await canBind(spec.port))) {
        throw new CliError(
          `port ${spec.port} on 127.0.0.1 is already in use`,
          'pick another with --port, or stop what listens there',
          exitCodes.conflict,
        );
      }
      // Leftovers of an interrupted start or of `stop` without --purge: containers and network go,
      // volumes (the databases) stay and are used again.
      await removeClusterObjects(docker, spec.name, { volumes: false, images: false });

      progress('Choosing base images');
      const bases = await resolveBaseImages(docker, progress);

      progress('Creating the network', names.network(spec.name));
      const { id: networkId, net } = await createNetwork(docker, spec.name);
      const state: ClusterState = {
        name: spec.name,
        driver: 'docker',
        spec: { ...spec, driver: 'docker' },
        url: `http://localhost:${spec.port}`,
        secret: secrets.secret,
        adminToken: secrets.adminToken,
        startedAt: new Date().toISOString(),
        nodes: Array.from({ length: spec.nodes }, (_, i) => ({
          id: i + 1,
          port: NODE_PORT,
          rpcUrl: `ws://127.0.0.1:${spec.port}/nodes/${i + 1}/rpc`,
        })),
        nginx: { port: spec.port },
        docker: { networkId, mysqlContainers: {}, volumes: [] },
      };
      const createdVolumes: string[] = [];
      try {
        await saveState(state);
        const config = dockerNginxConfig(
          spec.name,
          state.nodes.map((n) => ({ id: n.id, address: `${net.node(n.id)}:${NODE_PORT}` })),
        );
        const specs = await imageSpecs(bases, config);
        const mysqlImage = await ensureImage(docker, specs.mysql, progress);
        const nodeImage = await ensureImage(docker, specs.node, progress);
        const nginxImage = await ensureImage(
          docker,
          { ...specs.nginx, labels: clusterLabels(spec.name) },
          progress,
        );

        progress(`Starting ${spec.nodes} MySQL server${spec.nodes === 1 ? '' : 's'}`);
        const password = mysqlPassword(state.secret);
        for (const node of state.nodes) {
          const volume = names.volume(spec.name, node.id);
          const existing = await ignoreMissing(() => docker.getVolume(volume).inspect());
          if (!existing) {
            await docker.createVolume({ Name: volume, Labels: clusterLabels(spec.name, 'mysql', node.id) });
            createdVolumes.push(volume);
          }
          state.docker!.volumes.push(volume);
          const name = names.mysql(spec.name, node.id);
          state.docker!.mysqlContainers[String(node.id)] = await startContainer(docker, {
            name,
            Image: mysqlImage,
            Hostname: `db${node.id}`,
            Labels: clusterLabels(spec.name, 'mysql', node.id),
            Env: [
              `MARIADB_ROOT_PASSWORD=${password}`,
              `MARIADB_USER=${NODE_DB_USER}`,
              `MARIADB_PASSWORD=${mysqlPassword(state.secret, 'node')}`,
              `MARIADB_DATABASE=${databaseName(spec.name, node.id)}`,
            ],
            HostConfig: {
              NetworkMode: names.network(spec.name),
              Mounts: [{ Type: 'volume', Source: volume, Target: '/var/lib/mysql' }],
              RestartPolicy: { Name: 'no' },
            },
            NetworkingConfig: fixedAddress(names.network(spec.name), net.mysql(node.id), `db${node.id}`),
          });
          await saveState(state);
        }
        for (const node of state.nodes) {
          progress(
            `Starting ${spec.nodes} MySQL server${spec.nodes === 1 ? '' : 's'}`,
            `waiting for db${node.id}`,
          );
          await waitMysqlHealthy(
            docker,
            state.docker!.mysqlContainers[String(node.id)]!,
            names.mysql(spec.name, node.id),
          );
        }

        progress(`Starting ${spec.nodes} node${spec.nodes === 1 ? '' : 's'}`);
        for (const node of state.nodes) {
          node.containerId = await startContainer(docker, {
            name: names.node(spec.name, node.id),
            Image: nodeImage,
            Hostname: `n${node.id}`,
            Labels: clusterLabels(spec.name, 'node', node.id),
            Env: nodeEnv(state, net, node.id),
            HostConfig: {
              NetworkMode: names.network(spec.name),
              Init: true,
              RestartPolicy: { Name: 'no' },
              LogConfig: { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '2' } },
            },
            NetworkingConfig: fixedAddress(names.network(spec.name), net.node(node.id), `n${node.id}`),
          });
          await saveState(state);
        }

        progress('Starting nginx', `127.0.0.1:${spec.port}`);
        state.nginx.containerId = await startContainer(docker, {
          name: names.nginx(spec.name),
          Image: nginxImage,
          Labels: clusterLabels(spec.name, 'nginx'),
          ExposedPorts: { '80/tcp': {} },
          HostConfig: {
            NetworkMode: names.network(spec.name),
            PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(spec.port) }] },
            RestartPolicy: { Name: 'no' },
          },
          NetworkingConfig: fixedAddress(names.network(spec.name), net.nginx),
        });
        await saveState(state);
        await poll('nginx to listen', () => isListening(spec.port), { timeoutMs: 15_000, intervalMs: 100 });
        for (const [i, node] of state.nodes.entries()) {
          progress(
            `Starting ${spec.nodes} node${spec.nodes === 1 ? '' : 's'}`,
            `${i} of ${spec.nodes} answering`,
          );
          await waitNodeUp(docker, state, node);
        }
        return state;
      } catch (error) {
        progress('Start failed: cleaning up');
        await removeClusterObjects(docker, spec.name, { volumes: createdVolumes, images: false }).catch(
          () => {},
        );
        state.docker!.volumes = state.docker!.volumes.filter((v) => !createdVolumes.includes(v));
        await saveState({ ...state, stoppedAt: new Date().toISOString() }).catch(() => {});
        throw error;
      }
    },

    async kill(state, nodeId, opts) {
      const node = nodeOf(state, nodeId);
      const docker = await connect();
      const id = node.containerId ?? names.node(state.name, nodeId);
      const current = await containerStatus(docker, id);
      if (current === 'stopped') return;
      const container = docker.getContainer(id);
      if (opts.pause) {
        if (current === 'running') await container.pause();
        return;
      }
      try {
        await container.kill({ signal: 'SIGKILL' });
      } catch (error) {
        // Older engines refuse to kill a paused container.
        if (statusCode(error) !== 409) throw error;
        await ignoreMissing(() => container.unpause());
        await ignoreMissing(() => container.kill({ signal: 'SIGKILL' }));
      }
      await poll(`node ${nodeId} to stop`, async () => (await containerStatus(docker, id)) === 'stopped', {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
    },

    async revive(state, nodeId, progress) {
      const node = nodeOf(state, nodeId);
      const docker = await connect();
      const id = node.containerId ?? names.node(state.name, nodeId);
      const current = await containerStatus(docker, id);
      if (current === 'running') return state;
      if (current === 'paused') {
        progress(`Resuming node ${nodeId}`, 'docker unpause');
        await docker.getContainer(id).unpause();
        return state;
      }
      progress(`Restarting node ${nodeId}`, names.node(state.name, nodeId));
      try {
        await docker.getContainer(id).start();
      } catch (error) {
        if (statusCode(error) === 404) {
          throw new CliError(
            `node ${nodeId}'s container is gone`,
            `restart the cluster: booking cluster stop --name ${state.name}, then start`,
            exitCodes.notFound,
          );
        }
        if (statusCode(error) !== 304) throw error;
      }
      await waitNodeUp(docker, state, node);
      return state;
    },

    async nodeRunning(state, nodeId) {
      const node = state.nodes.find((n) => n.id === nodeId);
      if (!node) return 'stopped';
      const docker = await connect();
      return containerStatus(docker, node.containerId ?? names.node(state.name, nodeId));
    },

    async disconnect(state, nodeId) {
      const node = nodeOf(state, nodeId);
      const docker = await connect();
      if (!(await onNetwork(docker, state, node))) return;
      const { network } = await networkLayout(docker, state.name);
      try {
        // Force: also when the container is paused or stopped.
        await network.disconnect({
          Container: node.containerId ?? names.node(state.name, nodeId),
          Force: true,
        });
      } catch (error) {
        if (!/is not connected/i.test(dockerMessage(error))) throw error;
      }
    },

    async reconnect(state, nodeId) {
      const node = nodeOf(state, nodeId);
      const docker = await connect();
      if (await onNetwork(docker, state, node)) return;
      const { network, net } = await networkLayout(docker, state.name);
      // Back at its fixed address and with its short name, as `start` attached it: Nginx and the
      // peers know the node only by that address.
      const endpoint = fixedAddress(names.network(state.name), net.node(nodeId), `n${nodeId}`)
        .EndpointsConfig[names.network(state.name)];
      try {
        await network.connect({
          Container: node.containerId ?? names.node(state.name, nodeId),
          EndpointConfig: endpoint,
        });
      } catch (error) {
        if (!/already exists|already attached/i.test(dockerMessage(error))) throw error;
      }
    },

    async connected(state, nodeId) {
      const node = nodeOf(state, nodeId);
      const docker = await connect();
      try {
        return await onNetwork(docker, state, node);
      } catch (error) {
        if (statusCode(error) === 404) return false;
        throw error;
      }
    },

    async stop(state, opts, progress) {
      progress('Connecting to Docker');
      const docker = await connect();
      await removeClusterObjects(docker, state.name, { volumes: opts.purge, images: opts.purge }, progress);
      // The published port is released with the container; wait until the kernel agrees.
      await poll(`port ${state.nginx.port} to close`, () => canBind(state.nginx.port), {
        timeoutMs: 10_000,
        intervalMs: 100,
      }).catch(() => {});
      if (opts.purge) await removeStateDir(state.name);
    },

    async *logs(state, opts) {
      const docker = await connect();
      const nodes = state.nodes.filter((n) => opts.nodeId === undefined || n.id === opts.nodeId);
      const streams = nodes.map((node) => nodeLines(docker, state, node, opts.follow, opts.signal));
      if (streams.length === 1) {
        yield* streams[0]!;
        return;
      }
      if (!opts.follow) {
        // Whole logs: interleave by pino's timestamp (lines without one keep their order).
        const all: { line: string; time: number; order: number }[] = [];
        for (const stream of streams)
          for await (const line of stream) all.push({ line, time: lineTime(line), order: all.length });
        all.sort((a, b) => a.time - b.time || a.order - b.order);
        for (const { line } of all) yield line;
        return;
      }
      yield* merge(streams);
    },
  };
}

function lineTime(line: string): number {
  const match = /"time":(\d+)/.exec(line);
  return match ? Number(match[1]) : 0;
}

async function* nodeLines(
  docker: Docker,
  state: ClusterState,
  node: NodeState,
  follow: boolean,
  signal: AbortSignal | undefined,
): AsyncGenerator<string> {
  const container = docker.getContainer(node.containerId ?? names.node(state.name, node.id));
  let source: AsyncIterable<Buffer> | Buffer;
  try {
    source = follow
      ? ((await container.logs({
          stdout: true,
          stderr: true,
          follow: true,
        })) as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>)
      : ((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
  } catch (error) {
    if (statusCode(error) === 404) return;
    throw error;
  }
  const stream = Buffer.isBuffer(source) ? null : (source as unknown as { destroy(): void });
  const onAbort = () => stream?.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of lines(demux(source))) {
      if (line.trim()) yield `n${node.id} | ${line}`;
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream?.destroy();
  }
}

/** Yields from several async iterables as their values arrive. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const next = (index: number) => {
    pending.set(
      index,
      iterators[index]!.next().then((result) => ({ index, result })),
    );
  };
  for (let i = 0; i < iterators.length; i++) next(i);
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done) pending.delete(index);
    else {
      next(index);
      yield result.value;
    }
  }
}

/** Waits (for tests and the CLI) until nothing of the cluster is left in the engine. */
export async function clusterLeftovers(
  cluster: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const docker = await connect();
  const [containers, networks, volumes] = await Promise.all([
    listClusterContainers(docker, cluster),
    docker.listNetworks({ filters: clusterFilter(cluster) }),
    docker.listVolumes({ filters: clusterFilter(cluster) }),
  ]);
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}
