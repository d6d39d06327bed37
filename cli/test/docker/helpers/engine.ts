/**
 * What the docker suites need before they start: a Docker engine that answers and the offline
 * base image. Both are set up once by scripts/setup.mjs (`npm test` runs it first, serially);
 * parallel test workers only check, since two apt-gets or two debootstraps at once break each
 * other. Nothing is pulled from a registry, ever.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Docker from 'dockerode';
import { repoRoot } from '../../../src/services/paths.js';

const SETUP = 'node scripts/setup.mjs';

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
  const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  log(`no Docker engine answers at ${where}`);
  throw new Error(
    `no Docker engine answers at ${where}; set it up first (from the repository root): ${SETUP} docker`,
  );
}

/** The offline base image (or the one BOOKING_DOCKER_BASE names), which must already exist. */
export async function ensureBaseImage(docker: Docker, log: (line: string) => void): Promise<string> {
  const ref =
    process.env.BOOKING_DOCKER_BASE ||
    execFileSync('bash', [path.join(repoRoot, 'docker/build-base-image.sh'), '--print-ref'], {
      encoding: 'utf8',
      env: { ...process.env, BOOKING_NODE_BIN: process.execPath },
    }).trim();
  if (ref === 'official') return ref;
  try {
    await docker.getImage(ref).inspect();
  } catch {
    throw new Error(
      `the base image ${ref} is not built; build it first (from the repository root): ${SETUP} base-image`,
    );
  }
  log(`base image ${ref}`);
  return ref;
}
