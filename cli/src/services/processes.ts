/**
 * Detached processes that outlive the CLI: spawn them, recognise them again by pid (pids are
 * reused, so a pid counts only while its command line still has our marker), signal them.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnDetachedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here. */
  logFile: string;
}

export function spawnDetached(command: string, args: string[], opts: SpawnDetachedOptions): number {
  const fd = openSync(opts.logFile, 'a', 0o600);
  try {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    // The child must not keep the CLI alive, nor die with it.
    child.unref();
    child.on('error', () => {});
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export type ProcessState = 'running' | 'paused' | 'stopped';

async function procStat(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself hold spaces or parens).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Is `pid` alive and still the process we started (its argv or environment contains `marker`)? */
export async function processState(pid: number | undefined, marker: string): Promise<ProcessState> {
  if (!pid) return 'stopped';
  if (process.platform !== 'linux') {
    try {
      process.kill(pid, 0);
      return 'running';
    } catch {
      return 'stopped';
    }
  }
  const state = await procStat(pid);
  // Z: a zombie nobody reaped yet, X: dead. Neither holds ports or runs code.
  if (state === null || state === 'Z' || state === 'X') return 'stopped';
  const [cmdline, environ] = await Promise.all([
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''),
  ]);
  if (!cmdline.includes(marker) && !environ.split('\0').includes(marker)) return 'stopped';
  return state === 'T' || state === 't' ? 'paused' : 'running';
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Sends `sig` (then SIGKILL after graceMs) and waits until the process is gone. */
export async function terminate(
  pid: number,
  marker: string,
  opts: { sig?: NodeJS.Signals; graceMs?: number } = {},
) {
  if ((await processState(pid, marker)) === 'stopped') return;
  const sig = opts.sig ?? 'SIGTERM';
  // A stopped process does not act on SIGTERM until continued.
  if ((await processState(pid, marker)) === 'paused' && sig !== 'SIGKILL') signal(pid, 'SIGCONT');
  signal(pid, sig);
  const deadline = Date.now() + (opts.graceMs ?? 5000);
  while ((await processState(pid, marker)) !== 'stopped') {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      await sleep(50);
      if (Date.now() > deadline + 5000) throw new Error(`process ${pid} did not exit after SIGKILL`);
    } else {
      await sleep(50);
    }
  }
}
