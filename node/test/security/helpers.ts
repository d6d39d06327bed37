/**
 * A real booking node as a child process (the `booking-node` bin), configured only through its
 * environment as an operator would, so limits (BOOKING_LIMIT_*) and secrets are exactly what a
 * deployment gets. Its database is dropped afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { freePort } from '../../src/free-ports.js';
import { dropDatabase } from '../../src/store/db.js';
import { MYSQL_SERVER } from '../helpers/with-node.js';

export const BIN = fileURLToPath(new URL('../../bin/booking-node.mjs', import.meta.url));

export const randomSecret = (): string => randomBytes(32).toString('base64url');

export interface SpawnedNode {
  port: number;
  rpcUrl: string;
  proc: ChildProcess;
  output(): string;
  /** One sample of a Prometheus metric (the first line that starts with `name`). */
  metric(name: string): Promise<number>;
}

/** Runs the bin with `env` until it exits; for configurations that must not start. */
export function runBin(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BOOKING_')));
    const proc = spawn(process.execPath, [BIN], {
      env: { ...clean, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`booking-node did not exit within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

export async function spawnNode(t: ExecutionContext, env: Record<string, string> = {}): Promise<SpawnedNode> {
  const port = await freePort();
  const mysqlUrl = `${MYSQL_SERVER}/booking_sec_${randomBytes(5).toString('hex')}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BOOKING_')));
  const proc = spawn(process.execPath, [BIN], {
    env: {
      ...clean,
      BOOKING_PORT: String(port),
      BOOKING_MYSQL_URL: mysqlUrl,
      BOOKING_SECRET: randomSecret(),
      BOOKING_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    await dropDatabase(mysqlUrl).catch((error) => t.log(`dropping database failed: ${error}`));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`booking-node exited with ${proc.exitCode}: ${output}`);
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`booking-node did not come up: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    rpcUrl: `ws://127.0.0.1:${port}/rpc`,
    proc,
    output: () => output,
    async metric(name: string) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      if (!line) throw new Error(`no metric ${name}`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    },
  };
}
