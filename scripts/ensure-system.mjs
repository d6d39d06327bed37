#!/usr/bin/env node
// Makes sure the system services the project needs are there: MariaDB (running, reachable),
// and, on request, nginx and chromium. Installs Debian packages when missing and it can
// (root on Debian); otherwise prints exactly what to install. Used by `npm start`, `npm test`
// and .ci/run, so a fresh machine needs nothing but Node and npm.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

const isRoot = process.getuid?.() === 0;
const isDebian = existsSync('/etc/debian_version');
let aptUpdated = false;

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function hasCommand(path) {
  return existsSync(path);
}

export function ensurePackages(packages) {
  if (packages.length === 0) return;
  if (!isRoot || !isDebian) {
    throw new Error(
      `missing system packages; install them with: sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  if (!aptUpdated) {
    log('apt-get update');
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] });
    aptUpdated = true;
  }
  log(`installing ${packages.join(' ')}`);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
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

export async function ensureMariaDb() {
  if (process.env.BOOKING_TEST_MYSQL || process.env.BOOKING_SKIP_MYSQL_SETUP) return;
  if (await portOpen(3306)) return;
  if (!hasCommand('/usr/sbin/mariadbd')) ensurePackages(['mariadb-server']);
  log('starting MariaDB');
  spawnSync('mkdir', ['-p', '/run/mysqld']);
  spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
  const started = spawnSync(
    'start-stop-daemon',
    ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'],
    { stdio: 'inherit' },
  );
  if (started.status !== 0)
    throw new Error(
      'could not start MariaDB: run start-stop-daemon --start --background --exec /usr/sbin/mariadbd',
    );
  for (let i = 0; i < 60; i++) {
    if (await portOpen(3306)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('MariaDB did not open 127.0.0.1:3306 within 30 s');
}

export function ensureNginx() {
  if (!hasCommand('/usr/sbin/nginx')) ensurePackages(['nginx-light']);
}

export function ensureChromium() {
  if (!hasCommand('/usr/bin/chromium')) ensurePackages(['chromium']);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wants = new Set(process.argv.slice(2));
  try {
    await ensureMariaDb();
    if (wants.has('nginx')) ensureNginx();
    if (wants.has('chromium')) ensureChromium();
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
}
