/**
 * `npm start` (scripts/start.mjs): starts a cluster through the CLI, prints where it is, shows a
 * status line, and on Ctrl-C (SIGINT) stops the cluster, leaving no process and no port.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { ClusterState } from '../src/services/drivers/driver.js';
import { nodeBin } from '../src/services/paths.js';
import { canBind, freePort } from '../src/services/ports.js';
import { processState } from '../src/services/processes.js';
import { cliBin, newStateRoot, runCli, uniqueName } from './helpers/cli.js';

const startScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/start.mjs');

test('npm start runs the cluster in the foreground and Ctrl-C stops it', async (t) => {
  const stateRoot = newStateRoot();
  const name = uniqueName('npmstart');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [startScript, '--name', name, '--port', String(port), '--nodes', '1'],
    {
      env: { ...process.env, BOOKING_STATE_ROOT: stateRoot, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await runCli(['cluster', 'stop', '--purge', '--name', name], { stateRoot });
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // The status line: it follows the start's table once the cluster is up.
      if (/\] master n1 · epoch \d+ · n1 master · http:\/\/localhost:\d+\n/.test(out)) resolve();
    });
    child.stderr.resume();
    child.once('exit', (code) => reject(new Error(`start.mjs exited early (${code}):\n${out}`)));
  });
  t.regex(out, new RegExp(`open http://localhost:${port}`));
  t.regex(out, /Press Ctrl-C to stop the cluster\./);
  const state = JSON.parse(await readFile(path.join(stateRoot, name, 'state.json'), 'utf8')) as ClusterState;

  child.kill('SIGINT');
  t.is(await exited, 130);
  t.regex(out, new RegExp(`Stopping cluster "${name}"`));
  t.is(await processState(state.nodes[0]!.pid, nodeBin), 'stopped');
  t.is(await processState(state.nginx.pid, state.nginx.configFile!), 'stopped');
  t.true(await canBind(port));
  t.true(await canBind(state.nodes[0]!.port));
});

test('Ctrl-C during cluster start stops what was started', async (t) => {
  const stateRoot = newStateRoot();
  const name = uniqueName('interrupted');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [cliBin, 'cluster', 'start', '--name', name, '--port', String(port)],
    {
      env: { ...process.env, BOOKING_STATE_ROOT: stateRoot, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await runCli(['cluster', 'stop', '--purge', '--name', name], { stateRoot });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout.resume();
  let err = '';
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (err.includes('Starting 3 nodes')) resolve();
    });
  });
  child.kill('SIGINT');
  t.is(await exited, 130);
  t.regex(err, /Interrupted: stopping what was started/);
  const state = JSON.parse(await readFile(path.join(stateRoot, name, 'state.json'), 'utf8')) as ClusterState;
  t.truthy(state.stoppedAt);
  for (const node of state.nodes) {
    t.is(await processState(node.pid, nodeBin), 'stopped');
  }
  t.true(await canBind(port));
});
