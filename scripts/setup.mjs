#!/usr/bin/env node
// The machine's set-up for `npm start` and `npm test`, done once and in order before anything
// runs in parallel: MariaDB running, nginx, chromium, a Docker engine (docker.io installed and
// dockerd started) and the offline base image. Missing Debian packages are installed in one
// `apt-get update` + one `apt-get install` (as root on Debian); anywhere else, or when that fails,
// the error is the exact command to run.
//
//   node scripts/setup.mjs                          everything `npm test` needs
//   node scripts/setup.mjs mariadb nginx            only those (components below)
//
// Test workers never install: they check and name `node scripts/setup.mjs <component>`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const COMPONENTS = ['mariadb', 'nginx', 'chromium', 'docker', 'base-image'];
const BASE_SCRIPT = path.join(root, 'docker/build-base-image.sh');
const DOCKERD_LOG = '/var/log/booking-dockerd.log';

export class SetupError extends Error {
  /** @param {string} message @param {string} command what the operator should run */
  constructor(message, command) {
    super(`${message}; run: ${command}`);
    this.command = command;
  }
}

const log = (message) => process.stderr.write(`setup: ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = process.getuid?.() === 0;
const isDebian = process.platform === 'linux' && existsSync('/etc/debian_version');
const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** First executable among absolute paths and names on PATH (plus the sbin dirs), or null. */
export function findBinary(...names) {
  for (const name of names) {
    for (const candidate of path.isAbsolute(name)
      ? [name]
      : SEARCH.filter(Boolean).map((d) => path.join(d, name))) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {}
    }
  }
  return null;
}

function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Where the Docker engine API is, the way dockerode reads DOCKER_HOST. */
function engineAddress() {
  const host = process.env.DOCKER_HOST;
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** GET on the engine API: the status code, or 0 when nothing answers. */
export function engineGet(apiPath, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ ...engineAddress(), path: apiPath, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export const engineAnswers = async () => (await engineGet('/_ping')) === 200;

/** The content-addressed tag the base-image script builds (it changes with the script and Node). */
export function baseImageRef() {
  return execFileSync('bash', [BASE_SCRIPT, '--print-ref'], {
    encoding: 'utf8',
    env: { ...process.env, BOOKING_NODE_BIN: process.execPath },
  })
    .trim()
    .split('\n')
    .pop();
}

const baseImagePresent = async () =>
  (await engineGet(`/images/${encodeURIComponent(baseImageRef())}/json`)) === 200;

/** What each component needs installed: [binaries that prove it is there, Debian package]. */
const PACKAGES = {
  mariadb: [['/usr/sbin/mariadbd', 'mariadbd'], 'mariadb-server'],
  nginx: [['/usr/sbin/nginx', 'nginx'], 'nginx-light'],
  chromium: [['/usr/bin/chromium'], 'chromium'],
  // The daemon, not the client: a bare `docker` client binary cannot run containers.
  docker: [['/usr/sbin/dockerd', 'dockerd'], 'docker.io'],
  'base-image': [['debootstrap', '/usr/sbin/debootstrap'], 'debootstrap'],
};

/** Debian's postinst scripts would start nginx on :80, mariadb, dockerd: we start our own. */
function withoutServiceStarts(fn) {
  const policy = '/usr/sbin/policy-rc.d';
  if (existsSync(policy)) return fn();
  writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    return fn();
  } finally {
    try {
      unlinkSync(policy);
    } catch {}
  }
}

/** One `apt-get update` and one `apt-get install` for every missing package. */
export function installPackages(packages) {
  if (packages.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!isDebian || !isRoot) {
    throw new SetupError(`missing ${packages.join(', ')}`, isDebian ? `sudo sh -c '${command}'` : command);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('apt-get update');
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (update.status !== 0) throw new SetupError('apt-get update failed (see above)', command);
  log(`apt-get install ${packages.join(' ')} (a few minutes on a fresh machine)`);
  const install = withoutServiceStarts(() =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    }),
  );
  if (install.status !== 0)
    throw new SetupError(`apt-get install ${packages.join(' ')} failed (see above)`, command);
}

export async function startMariaDb() {
  if (process.env.BOOKING_TEST_MYSQL || process.env.BOOKING_SKIP_MYSQL_SETUP) return;
  if (!(await portOpen(3306))) {
    // mariadbd refuses to run as root; Debian's config leaves the user to the init script.
    const command =
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql';
    log('starting MariaDB');
    mkdirSync('/run/mysqld', { recursive: true });
    spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
    const started = spawnSync('start-stop-daemon', command.split(' ').slice(1), { stdio: 'inherit' });
    if (started.status !== 0) throw new SetupError('could not start MariaDB', command);
    let open = false;
    for (let i = 0; i < 60 && !open; i++) {
      open = await portOpen(3306);
      if (!open) await sleep(500);
    }
    if (!open) throw new SetupError('MariaDB did not open 127.0.0.1:3306 within 30 s', command);
  }
  allowRootOverLoopback();
}

/**
 * The suites reach MariaDB as root@127.0.0.1 with an empty password (a developer machine's
 * usual set-up, and this project's documented default). A fresh Debian install lets root in
 * through the unix socket only: as root on the machine, add the empty password for localhost.
 * MariaDB listens on 127.0.0.1 only (Debian's bind-address), so nothing outside gets in.
 */
function allowRootOverLoopback() {
  const client = findBinary('/usr/bin/mariadb', '/usr/bin/mysql');
  if (!client) return;
  const tcp = spawnSync(client, ['-uroot', '-h127.0.0.1', '-P3306', '-e', 'SELECT 1'], { stdio: 'ignore' });
  if (tcp.status === 0) return;
  const sql =
    "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')";
  const command = `${client} -uroot -e "${sql}"`;
  if (!isRoot) {
    throw new SetupError('MariaDB refuses root@127.0.0.1 without a password', `sudo ${command}`);
  }
  log('letting root@localhost into MariaDB over 127.0.0.1 without a password (loopback only)');
  const altered = spawnSync(client, ['-uroot', '-e', sql], { stdio: 'inherit' });
  if (altered.status !== 0) throw new SetupError('could not open MariaDB to root over 127.0.0.1', command);
}

export async function startDockerd() {
  if (await engineAnswers()) return;
  if (process.env.DOCKER_HOST) {
    throw new SetupError(
      `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`,
      'start that engine, or unset DOCKER_HOST',
    );
  }
  const dockerd = findBinary(...PACKAGES.docker[0]);
  const command = `dockerd >>${DOCKERD_LOG} 2>&1 &`;
  if (!dockerd) throw new SetupError('dockerd is not installed', 'apt-get install -y docker.io');
  log(`starting ${dockerd} (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, 'a');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', out, out] });
  child.on('error', () => {});
  child.unref();
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    if (await engineAnswers()) return;
    if (child.exitCode !== null) break;
  }
  throw new SetupError(`dockerd did not answer within 60 s (see ${DOCKERD_LOG})`, command);
}

export function buildBaseImage() {
  log('building the offline base image (debootstrap, a few minutes, once)');
  const built = spawnSync('bash', [BASE_SCRIPT], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BOOKING_NODE_BIN: process.execPath },
  });
  if (built.status !== 0)
    throw new SetupError('building the offline base image failed (see above)', `bash ${BASE_SCRIPT}`);
}

/**
 * Sets up the components asked for, in order. Returns the components that failed, each with its
 * error, so a caller can still run what does not need them.
 * @param {string[]} wanted
 * @returns {Promise<Map<string, SetupError>>}
 */
export async function setup(wanted = COMPONENTS) {
  const want = new Set(wanted);
  if (want.has('base-image')) want.add('docker');
  const failed = new Map();
  const engineUp = want.has('docker') && (await engineAnswers());
  const needsBase =
    want.has('base-image') && !process.env.BOOKING_DOCKER_BASE && !(engineUp && (await baseImagePresent()));
  const missing = [];
  for (const component of COMPONENTS) {
    if (!want.has(component)) continue;
    const [binaries, pkg] = PACKAGES[component];
    if (component === 'mariadb' && (process.env.BOOKING_TEST_MYSQL || process.env.BOOKING_SKIP_MYSQL_SETUP))
      continue;
    if (component === 'docker' && engineUp) continue;
    if (component === 'base-image' && !needsBase) continue;
    if (!findBinary(...binaries)) missing.push([component, pkg]);
  }
  try {
    installPackages(missing.map(([, pkg]) => pkg));
  } catch (error) {
    for (const [component] of missing) failed.set(component, error);
  }
  const step = async (component, fn) => {
    if (!want.has(component) || failed.has(component)) return;
    try {
      await fn();
    } catch (error) {
      failed.set(
        component,
        error instanceof SetupError
          ? error
          : new SetupError(error.message, `node scripts/setup.mjs ${component}`),
      );
    }
  };
  await step('mariadb', startMariaDb);
  await step('docker', startDockerd);
  if (failed.has('docker') && want.has('base-image')) failed.set('base-image', failed.get('docker'));
  await step('base-image', async () => {
    if (needsBase && !(await baseImagePresent())) buildBaseImage();
  });
  for (const [component, error] of failed) log(`${component}: ${error.message}`);
  return failed;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((c) => !COMPONENTS.includes(c));
  if (unknown.length > 0) {
    log(`unknown component ${unknown.join(', ')}; known: ${COMPONENTS.join(' ')}`);
    process.exit(2);
  }
  const failed = await setup(asked.length > 0 ? asked : COMPONENTS);
  if (failed.size === 0) log('ready');
  process.exit(failed.size > 0 ? 1 : 0);
}
