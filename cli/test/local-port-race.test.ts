/**
 * Ports a cluster binds later: drawn where no other program is handed them, and a port taken
 * while the nodes start is a clear conflict, never a cluster that talks to somebody else.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { ClusterState } from '../src/services/drivers/driver.js';
import { exitCodes } from '../src/services/errors.js';
import { canBind, freePorts } from '../src/services/ports.js';
import { processState } from '../src/services/processes.js';
import { newStateRoot, runCli, uniqueName } from './helpers/cli.js';

test('free ports are distinct, bindable and below the range the kernel hands out on its own', async (t) => {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const ports = await freePorts(8);
  t.is(new Set(ports).size, 8);
  for (const port of ports) {
    t.true(port >= 10_000 && port < low!, `port ${port}`);
    t.true(await canBind(port));
  }
});

test('a port taken while the nodes start is a conflict (exit 4), and nothing is left running', async (t) => {
  const stateRoot = newStateRoot();
  const name = uniqueName('race');
  const [port] = await freePorts(1);
  // What took the port answers every request with 200, as another cluster's node would.
  const intruder = http.createServer((_req, res) => res.end('{"ok":true}'));
  const started = runCli(['cluster', 'start', '--nodes', '1', '--port', String(port), '--name', name], {
    stateRoot,
  });
  const stateFile = path.join(stateRoot, name, 'state.json');
  // The state is saved before the first node is spawned, and Nginx binds only once nodes listen.
  let ended = false;
  void started.then(() => (ended = true));
  while (!existsSync(stateFile) && !ended) await sleep(10);
  if (ended) {
    const r = await started;
    t.fail(`cluster start ended before it saved its state: ${r.stderr}`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    intruder.once('error', reject);
    intruder.listen(port, '127.0.0.1', resolve);
  });
  try {
    const r = await started;
    t.is(r.code, exitCodes.conflict, r.stderr);
    t.regex(r.stderr, new RegExp(`port ${port} on 127.0.0.1 was taken by another program`));
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
    const dir = path.join(stateRoot, name);
    for (const node of state.nodes) {
      t.is(await processState(node.pid, `BOOKING_CLI_PROCESS=${dir}#${name}/n${node.id}`), 'stopped');
    }
  } finally {
    intruder.closeAllConnections();
    await new Promise((resolve) => intruder.close(resolve));
    await runCli(['cluster', 'stop', '--purge', '--yes', '--name', name], { stateRoot });
  }
});
