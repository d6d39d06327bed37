/**
 * End to end on the Docker engine, through the driver the CLI uses for `--driver docker`: three
 * nodes, one MariaDB each, Nginx as the only published port on 127.0.0.1. Book through Nginx, kill
 * the master, book again, revive, stop; afterwards no container, network, volume or published
 * port of the cluster remains.
 *
 * Slow (images, containers): runs under `npm run test:docker`, not in the default cli suite.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import Docker from 'dockerode';
import { clusterLeftovers, createDockerDriver } from '../../src/services/drivers/docker/index.js';
import type { ClusterSpec, ClusterState } from '../../src/services/drivers/driver.js';
import { canBind, freePort } from '../../src/services/ports.js';
import { readState } from '../../src/services/state.js';
import { bookThrough, waitForMaster } from './helpers/booking.js';
import { ensureBaseImage, ensureDockerEngine } from './helpers/engine.js';

const test = anyTest as TestFn<{ stateRoot: string }>;

/** Each container's health as Docker reports it, once all are healthy or `timeoutMs` passed. */
async function containerHealth(ids: string[], timeoutMs: number): Promise<string[]> {
  const docker = new Docker();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await Promise.all(
      ids.map(async (id) => (await docker.getContainer(id).inspect()).State.Health?.Status ?? 'none'),
    );
    if (health.every((h) => h === 'healthy') || Date.now() > deadline) return health;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const name = `dockertest_${process.pid}`;
const driver = createDockerDriver();
let started: ClusterState | null = null;

test.before(async (t) => {
  t.context.stateRoot = mkdtempSync(path.join(os.tmpdir(), 'booking-docker-test-'));
  process.env.BOOKING_STATE_ROOT = t.context.stateRoot;
  t.timeout(20 * 60_000, 'installing docker.io and building the offline base image');
  const docker = await ensureDockerEngine((line) => t.log(line));
  await ensureBaseImage(docker, (line) => t.log(line));
});

test.after.always(async (t) => {
  // A failed test must not leave a cluster running.
  if (started) await driver.stop(started, { purge: true }, () => {}).catch(() => {});
  rmSync(t.context.stateRoot, { recursive: true, force: true });
});

test.serial(
  'docker: start 3 nodes, book through nginx, kill the master, book again, stop leaves nothing',
  async (t) => {
    t.timeout(10 * 60_000, 'building images and starting 7 containers');
    const port = await freePort();
    const spec: ClusterSpec = {
      name,
      nodes: 3,
      driver: 'docker',
      port,
      mysqlUrl: '',
      holdTtlMs: 300_000,
      catalog: 'bundled',
    };
    const began = Date.now();
    const steps: string[] = [];
    const state = await driver.start(
      spec,
      { secret: randomBytes(32).toString('base64'), adminToken: randomBytes(24).toString('hex') },
      (step, detail) => steps.push(`${step}${detail ? `: ${detail}` : ''}`),
    );
    started = state;
    t.log(`cluster up after ${((Date.now() - began) / 1000).toFixed(1)} s`);
    t.true(
      steps.some((s) => s.startsWith('Building image booking-node')),
      'image builds report progress',
    );
    t.deepEqual(
      (await readState(name))?.nodes.map((n) => n.containerId),
      state.nodes.map((n) => n.containerId),
    );
    t.is(state.nodes.length, 3);
    for (const node of state.nodes) {
      t.is(await driver.nodeRunning(state, node.id), 'running');
      t.is(node.rpcUrl, `ws://127.0.0.1:${port}/nodes/${node.id}/rpc`);
    }

    // The images' own HEALTHCHECKs (the node's on /readyz, Nginx's through a node) turn healthy:
    // what Compose's `depends_on: service_healthy` waits on.
    const healthOf = await containerHealth(
      [...state.nodes.map((n) => n.containerId!), state.nginx.containerId!],
      90_000,
    );
    t.deepEqual(healthOf, state.nodes.map(() => 'healthy').concat('healthy'), 'container health after start');

    const url = `ws://127.0.0.1:${port}/rpc`;
    const masterId = await waitForMaster(state.nodes);
    const first = await bookThrough(url, 2);
    t.is(first.booking.status, 'confirmed');
    t.is(first.booking.seatIds.length, 2);

    const killedAt = Date.now();
    await driver.kill(state, masterId, { pause: false });
    t.is(await driver.nodeRunning(state, masterId), 'stopped');
    const second = await bookThrough(url, 2, 60_000);
    t.log(
      `booked again ${Date.now() - killedAt} ms after killing master n${masterId} (${second.attempts} attempts)`,
    );
    t.is(second.booking.status, 'confirmed');
    t.not(second.status.nodeId, masterId, 'the dead master answered');
    t.not(second.status.masterId, masterId, 'the cluster still names the dead node as master');

    await driver.revive(state, masterId, () => {});
    t.is(await driver.nodeRunning(state, masterId), 'running');

    // --pause freezes a node without killing it (docker pause); revive resumes it.
    const paused = state.nodes.find((n) => n.id !== masterId)!.id;
    await driver.kill(state, paused, { pause: true });
    t.is(await driver.nodeRunning(state, paused), 'paused');
    await driver.revive(state, paused, () => {});
    t.is(await driver.nodeRunning(state, paused), 'running');
    const afterResume = await bookThrough(url, 1, 60_000);
    t.is(afterResume.booking.status, 'confirmed');

    await driver.stop(state, { purge: true }, () => {});
    started = null;
    t.deepEqual(await clusterLeftovers(name), { containers: [], networks: [], volumes: [] });
    t.true(await canBind(port), `port ${port} is still taken after stop`);
    t.is(await readState(name), null, 'the state folder is gone after --purge');
  },
);
