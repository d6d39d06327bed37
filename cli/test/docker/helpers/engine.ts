/**
 * Test set-up for the docker suites: a Docker engine that answers (docker.io installed and dockerd
 * started if needed, on Debian as root) and the offline base image (built once if missing). Nothing
 * is pulled from a registry, ever.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import Docker from 'dockerode';
import { ensureOfflineBase } from '../../../src/services/drivers/docker/images.js';
import { ensureSystemPackage } from '../../../src/services/system-packages.js';

const DOCKERD_LOG = '/var/log/booking-test-dockerd.log';

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

export async function ensureDockerEngine(log: (line: string) => void): Promise<Docker> {
  const docker = new Docker();
  if (await answers(docker)) return docker;
  const dockerd = await ensureSystemPackage(
    { label: 'dockerd', binaries: ['/usr/sbin/dockerd', 'dockerd'], debianPackages: ['docker.io'] },
    { progress: (step, detail) => log(`${step}${detail ? `: ${detail}` : ''}`) },
  );
  if (process.env.DOCKER_HOST) {
    throw new Error(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer; not starting a local dockerd`);
  }
  log(`starting ${dockerd} (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, 'a');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', out, out] });
  child.on('error', () => {});
  child.unref();
  const deadline = Date.now() + 60_000;
  while (!(await answers(docker))) {
    if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s; see ${DOCKERD_LOG}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return docker;
}

/** The offline base image (or the one BOOKING_DOCKER_BASE names); built from Debian packages if missing. */
export async function ensureBaseImage(docker: Docker, log: (line: string) => void): Promise<string> {
  if (process.env.BOOKING_DOCKER_BASE) return process.env.BOOKING_DOCKER_BASE;
  const started = Date.now();
  const ref = await ensureOfflineBase(docker, (_step, detail) => {
    if (detail) log(`base image: ${detail}`);
  });
  log(`base image ${ref} ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return ref;
}
