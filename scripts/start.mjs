#!/usr/bin/env node
// `npm start`: makes sure MariaDB and nginx are there, builds, starts the cluster with the booking CLI
// (local driver, three nodes, Nginx on port 8080), prints where it is, and stays in the
// foreground with a short status line whenever something changes. Ctrl-C stops the cluster.
//
// Extra arguments go to `booking cluster start`: `npm start -- --nodes 5 --port 9090`.
// If the cluster already runs, this attaches to it and Ctrl-C leaves it running.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `npm run dev` (the `development` export condition): the CLI and the nodes run their TypeScript
// sources, nothing is compiled. `npm start`: the compiled ones, built first.
const development = import.meta.resolve('@booking/node/main').endsWith('.ts');
const cliBin = path.join(root, development ? 'cli/bin/dev.js' : 'cli/bin/run.js');
const EXIT_CONFLICT = 4; // services/errors.ts: the cluster already runs (or the port is taken)

const passThrough = process.argv.slice(2);
function flagValue(names, fallback) {
  for (let i = 0; i < passThrough.length; i++) {
    const arg = passThrough[i];
    for (const name of names) {
      if (arg === name) return passThrough[i + 1] ?? fallback;
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    }
  }
  return fallback;
}
const name = flagValue(['--name', '-n'], process.env.BOOKING_CLUSTER || 'default');

/** Runs the CLI; `own` puts it in its own process group so a Ctrl-C at the terminal spares it. */
function booking(args, { own = false, capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      cwd: root,
      stdio: capture ? ['ignore', 'pipe', 'ignore'] : 'inherit',
      detached: own,
    });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', () => resolve({ code: 1, out }));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

let stopping = false;
let attached = false;
/** While `booking cluster start` runs, Ctrl-C reaches it too and it cleans up after itself. */
let starting = false;
let interrupted = false;
let timer = null;

async function shutdown(code) {
  if (starting) {
    interrupted = true;
    return;
  }
  if (stopping) return;
  stopping = true;
  if (timer) clearTimeout(timer);
  if (attached) {
    process.stdout.write(`\nLeaving cluster "${name}" running (it was running before npm start).\n`);
    process.exit(code);
  }
  process.stdout.write(`\nStopping cluster "${name}"...\n`);
  const stopped = await booking(['cluster', 'stop', '--name', name], { own: true });
  process.exit(stopped.code === 0 ? code : stopped.code);
}

// The machine first (MariaDB running, nginx installed), once, before anything runs.
if ((await setup(['mariadb', 'nginx'])).size > 0) process.exit(1);

if (!development) {
  process.stdout.write('Building the node and the CLI (npm run build:ts)...\n');
  const built = spawnSync('npm', ['run', 'build:ts', '--silent'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('setup: the build failed; see above (npm run build:ts)\n');
    process.exit(1);
  }
}

// nginx serves the web app from spa/dist, which a fresh clone does not have yet.
if (!existsSync(path.join(root, 'spa/dist/index.html'))) {
  process.stdout.write('Building the web app (first start only)...\n');
  const built = spawnSync('npm', ['run', 'build', '-w', 'spa'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('setup: the web app did not build; see above (npm run build -w spa)\n');
    process.exit(1);
  }
}

// Ctrl-C during the start reaches the CLI too (same process group): it stops what it had
// started and exits; afterwards Ctrl-C is ours and stops the cluster.
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

const defaults = [];
if (flagValue(['--nodes'], null) === null) defaults.push('--nodes', '3');
if (flagValue(['--port', '-p'], null) === null) defaults.push('--port', '8080');
starting = true;
const started = await booking(['cluster', 'start', ...defaults, ...passThrough]);
starting = false;
if (interrupted) process.exit(130);
if (started.code === EXIT_CONFLICT) {
  const probe = await booking(['cluster', 'status', '--name', name, '--json'], { capture: true });
  if (probe.code !== 0) process.exit(started.code); // the port is taken by something else
  attached = true;
  const url = JSON.parse(probe.out).url;
  process.stdout.write(
    `Cluster "${name}" is already running at ${url}; showing its status (Ctrl-C leaves it running).\n`,
  );
} else if (started.code !== 0) {
  // A start that failed half-way (no election, a node crashed) may have left processes behind.
  if (started.code !== 2 && started.code !== 5)
    await booking(['cluster', 'stop', '--name', name], { own: true });
  process.exit(started.code);
} else {
  process.stdout.write('\nPress Ctrl-C to stop the cluster.\n');
}

// The short status: one line whenever the master, the epoch or a node's role changes.
let last = '';
async function poll() {
  const result = await booking(['cluster', 'status', '--name', name, '--json'], { capture: true, own: true });
  if (stopping) return;
  let line;
  try {
    const view = JSON.parse(result.out);
    const nodes = view.nodes.map(
      (n) => `n${n.id} ${n.alive ? n.role : n.role === 'paused' ? 'paused' : 'down'}`,
    );
    const master = view.masterId === null ? 'no master' : `master n${view.masterId}`;
    line = `${master} · epoch ${view.epoch} · ${nodes.join(', ')} · ${view.url}`;
  } catch {
    line = `cluster "${name}" is not running (booking cluster status --name ${name})`;
  }
  if (line !== last) {
    last = line;
    process.stdout.write(`[${new Date().toLocaleTimeString()}] ${line}\n`);
  }
  timer = setTimeout(poll, 2000);
}
await poll();
