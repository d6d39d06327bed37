/**
 * The generated Nginx config in front of a real booking node, on the real nginx binary: sockets
 * per address (limit_conn) and handshakes per second (limit_req) answer 429, a node's metrics are
 * for loopback only, and a browser's Origin is checked by the node against the Host Nginx passes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import mysql from 'mysql2/promise';
import WebSocket from 'ws';
import { type NginxConfigOptions, renderNginxConfig } from '../src/services/nginx/config.js';
import { freePort, waitForPortOpen } from '../src/services/ports.js';
import { ensureSystemPackage, systemPackages } from '../src/services/system-packages.js';

const MYSQL = process.env.BOOKING_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306';
const NODE_BIN = fileURLToPath(new URL('../../node/bin/booking-node.mjs', import.meta.url));

/**
 * Stops `proc` when the test ends. nginx gets SIGTERM: a SIGKILL of its master leaves the worker
 * behind, orphaned and still listening (every run of this file used to leave four). SIGKILL only
 * if it has not exited in 5 s.
 */
function stopOnTeardown(t: ExecutionContext, proc: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        proc.kill(signal);
      }),
  );
}

async function startNode(t: ExecutionContext): Promise<number> {
  const port = await freePort();
  const database = `booking_nginx_${randomBytes(4).toString('hex')}`;
  const proc = spawn(process.execPath, [NODE_BIN], {
    env: {
      ...process.env,
      BOOKING_PORT: String(port),
      BOOKING_MYSQL_URL: `${MYSQL}/${database}`,
      BOOKING_SECRET: randomBytes(32).toString('base64url'),
      BOOKING_CATALOG: 'none',
      BOOKING_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  stopOnTeardown(t, proc);
  t.teardown(async () => {
    const conn = await mysql.createConnection({ uri: MYSQL });
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => conn.end());
  });
  await waitForPortOpen(port, 60_000).catch((error) => {
    throw new Error(`node did not listen: ${error} ${stderr}`);
  });
  return port;
}

async function startNginx(
  t: ExecutionContext,
  nodePort: number,
  limits: NginxConfigOptions['limits'],
): Promise<number> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'booking-nginx-limits-'));
  mkdirSync(path.join(dir, 'tmp'));
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(
    file,
    renderNginxConfig({
      listen: `127.0.0.1:${port}`,
      nodes: [{ id: 1, address: `127.0.0.1:${nodePort}` }],
      spaRoot: null,
      runtimeDir: dir,
      foreground: true,
      ...(limits ? { limits } : {}),
    }),
  );
  const proc = spawn('/usr/sbin/nginx', ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')], {
    stdio: 'ignore',
  });
  stopOnTeardown(t, proc, 'SIGTERM');
  await waitForPortOpen(port, 10_000);
  return port;
}

/** Opens a WebSocket; resolves with it, or with the HTTP status that refused the upgrade. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function get(url: string, localAddress?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, localAddress ? { localAddress } : {}, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
}

test.before(async () => {
  await ensureSystemPackage(systemPackages.nginx);
});

test('limit_conn: a client address gets its sockets, the next one is 429, and a closed one frees a place', async (t) => {
  const node = await startNode(t);
  const port = await startNginx(t, node, {
    connectionsPerAddress: 3,
    requestsPerSecond: 1000,
    requestBurst: 1000,
  });
  const url = `ws://127.0.0.1:${port}/rpc`;
  const open: WebSocket[] = [];
  for (let i = 0; i < 3; i++) {
    const ws = await upgrade(url);
    if (typeof ws === 'number') return t.fail(`socket ${i + 1} refused with ${ws}`);
    open.push(ws);
  }
  t.teardown(() => {
    for (const ws of open) ws.terminate();
  });
  t.is(await upgrade(url), 429, 'the fourth socket from one address');
  t.is(await upgrade(`ws://127.0.0.1:${port}/nodes/1/rpc`), 429, 'the per-node route counts too');
  const first = open.shift()!;
  await new Promise<void>((resolve) => {
    first.once('close', () => resolve());
    first.close();
  });
  // Nginx frees the slot when the proxied connection ends, which follows the close shortly.
  let again: WebSocket | number = 429;
  for (let k = 0; k < 50 && again === 429; k++) {
    again = await upgrade(url);
    if (again === 429) await new Promise((r) => setTimeout(r, 50));
  }
  t.not(again, 429, 'a closed socket gives its place back');
  if (typeof again !== 'number') open.push(again);
});

test('limit_req: handshakes beyond rate and burst are 429', async (t) => {
  const node = await startNode(t);
  const port = await startNginx(t, node, {
    connectionsPerAddress: 100,
    requestsPerSecond: 1,
    requestBurst: 2,
  });
  const results = await Promise.all(Array.from({ length: 8 }, () => upgrade(`ws://127.0.0.1:${port}/rpc`)));
  for (const r of results) if (typeof r !== 'number') r.terminate();
  const refused = results.filter((r) => r === 429).length;
  t.true(refused >= 4, `${refused} of 8 handshakes refused`);
  t.true(
    results.some((r) => typeof r !== 'number'),
    'the first ones got through',
  );
});

test('a node metrics are for loopback only; health stays public', async (t) => {
  const node = await startNode(t);
  const port = await startNginx(t, node, undefined);
  t.is(await get(`http://127.0.0.1:${port}/nodes/1/metrics`), 200);
  // From another address (127.0.0.3 is loopback to the kernel, but not to the allow list).
  t.is(await get(`http://127.0.0.1:${port}/nodes/1/metrics`, '127.0.0.3'), 403);
  t.is(await get(`http://127.0.0.1:${port}/nodes/1/healthz`, '127.0.0.3'), 200);
});

test('through Nginx, the web app origin may open /rpc and a foreign origin may not', async (t) => {
  const node = await startNode(t);
  const port = await startNginx(t, node, undefined);
  const url = `ws://127.0.0.1:${port}/rpc`;
  const own = await upgrade(url, { origin: `http://127.0.0.1:${port}` });
  t.not(typeof own, 'number', `own origin refused with ${own}`);
  if (typeof own !== 'number') own.terminate();
  t.is(await upgrade(url, { origin: 'https://evil.example' }), 403);
  const cli = await upgrade(url);
  t.not(typeof cli, 'number', 'no Origin: not a browser, allowed');
  if (typeof cli !== 'number') cli.terminate();
});
