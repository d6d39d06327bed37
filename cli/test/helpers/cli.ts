/**
 * Runs the real `booking` CLI (bin/dev.js: its sources, a separate process) the way an operator or a script
 * does, with its own state root so tests never touch a user's `.booking/`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dev.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stateRoot: string;
  env?: NodeJS.ProcessEnv;
}

const roots: string[] = [];
// Removed when the test process ends (each test stops its clusters in an after.always hook).
process.once('exit', () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

export function newStateRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'booking-cli-test-'));
  roots.push(root);
  return root;
}

/** At most this many CLI processes per test file at once: each one loads oclif and tsx. */
const MAX_PARALLEL = 4;
let running = 0;
const queue: (() => void)[] = [];

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return slot(() => spawnCli(args, opts));
}

function spawnCli(args: string[], opts: CliOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BOOKING_STATE_ROOT: opts.stateRoot,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...opts.env,
  };
  // A user's BOOKING_CLUSTER must not pick the cluster for a test.
  if (!opts.env?.BOOKING_CLUSTER) delete env.BOOKING_CLUSTER;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** stdout parsed as JSON, with the whole result in the error when it is not JSON. */
export function json<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A name no other test run uses (cluster names become database names). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
}
