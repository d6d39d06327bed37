/**
 * "Make sure this system binary is there", for the CLI at run time (nginx for the local driver).
 * On Debian as root a missing package is installed with apt-get; anywhere else the error names the
 * exact command to run. The test and `npm start` set-up is scripts/setup.mjs, which runs once and
 * serially before anything else: tests only look for binaries here, they never install.
 */
import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SystemPackage {
  /** Executable names or absolute paths to look for, in order (e.g. `['/usr/sbin/nginx', 'nginx']`). */
  binaries: readonly string[];
  /** Debian packages that provide it, in order of preference (the first one apt knows is installed). */
  debianPackages: readonly string[];
  /** What it is, for messages ("nginx"). Defaults to the first binary's base name. */
  label?: string;
}

export interface EnsureOptions {
  /** Install with apt-get when missing (only possible on Debian as root). Default true. */
  install?: boolean;
  /** Progress lines for the slow part (apt-get). */
  progress?: (step: string, detail?: string) => void;
}

/** Thrown when a binary is missing and cannot be installed here; `command` is what the operator should run. */
export class MissingSystemPackageError extends Error {
  constructor(
    readonly label: string,
    readonly command: string,
    detail?: string,
  ) {
    super(`${label} is not installed${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingSystemPackageError';
  }
  get hint(): string {
    return `install it with: ${this.command}`;
  }
}

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of the first binary found (absolute paths as given, names on PATH and the sbin dirs), or null. */
export async function findBinary(binaries: readonly string[]): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const binary of binaries) {
    if (path.isAbsolute(binary)) {
      if (await isExecutable(binary)) return binary;
      continue;
    }
    for (const dir of dirs) {
      const candidate = path.join(dir, binary);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

export function isDebian(): boolean {
  return process.platform === 'linux' && existsSync('/etc/debian_version');
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

interface RunResult {
  code: number;
  output: string;
}

function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      // Only the tail matters for an error message; apt can print megabytes.
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => resolve({ code: -1, output: String(error) }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

let aptUpdated: Promise<RunResult> | null = null;

/** `apt-get update`, at most once per process: it is slow and one fresh list is enough. */
function aptUpdateOnce(): Promise<RunResult> {
  aptUpdated ??= run('apt-get', ['update']);
  return aptUpdated;
}

/**
 * `apt-cache policy` and not `apt-cache show`: run() keeps only the output's tail, and docker.io's
 * record is longer than that, so its `Package:` line was cut off and apt seemed not to know it.
 */
async function aptKnows(pkg: string): Promise<boolean> {
  const result = await run('apt-cache', ['policy', pkg]);
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(result.output)?.[1];
  return result.code === 0 && candidate !== undefined && candidate !== '(none)';
}

/**
 * Debian's postinst scripts start the packaged service (nginx on :80, mariadb); we run private
 * instances, so services are kept from starting during the install with a temporary policy-rc.d.
 */
async function withoutServiceStarts<T>(fn: () => Promise<T>): Promise<T> {
  const policy = '/usr/sbin/policy-rc.d';
  if (existsSync(policy)) return fn();
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    return await fn();
  } finally {
    await unlink(policy).catch(() => {});
  }
}

function installCommand(pkg: SystemPackage): string {
  const first = pkg.debianPackages[0] ?? pkg.label ?? pkg.binaries[0];
  return `sudo apt-get update && sudo apt-get install -y ${first}`;
}

/**
 * Returns the absolute path of the package's binary, installing the package first if it is missing
 * and this is Debian and we are root. Throws MissingSystemPackageError otherwise.
 */
export async function ensureSystemPackage(pkg: SystemPackage, opts: EnsureOptions = {}): Promise<string> {
  const label = pkg.label ?? path.basename(pkg.binaries[0] ?? 'package');
  const found = await findBinary(pkg.binaries);
  if (found) return found;
  if (opts.install === false || !isDebian() || !isRoot()) {
    throw new MissingSystemPackageError(label, installCommand(pkg));
  }
  opts.progress?.(`Installing ${label}`, 'apt-get (one time)');
  let candidate = await pickKnownPackage(pkg.debianPackages);
  if (!candidate) {
    await aptUpdateOnce();
    candidate = await pickKnownPackage(pkg.debianPackages);
  }
  if (!candidate) {
    throw new MissingSystemPackageError(
      label,
      installCommand(pkg),
      `apt knows none of ${pkg.debianPackages.join(', ')}`,
    );
  }
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', candidate]);
  let result = await withoutServiceStarts(install);
  if (result.code !== 0) {
    // Usually a stale package list (404 on an old version): refresh once and retry.
    await aptUpdateOnce();
    result = await withoutServiceStarts(install);
  }
  const installed = await findBinary(pkg.binaries);
  if (result.code !== 0 || !installed) {
    const last = result.output.trim().split('\n').slice(-1)[0] ?? '';
    throw new MissingSystemPackageError(
      label,
      installCommand(pkg),
      `apt-get install ${candidate} failed: ${last}`,
    );
  }
  return installed;
}

async function pickKnownPackage(candidates: readonly string[]): Promise<string | null> {
  for (const candidate of candidates) {
    if (await aptKnows(candidate)) return candidate;
  }
  return null;
}

/** The packages this project uses, so every caller asks for them the same way. */
export const systemPackages = {
  nginx: { label: 'nginx', binaries: ['/usr/sbin/nginx', 'nginx'], debianPackages: ['nginx-light', 'nginx'] },
  chromium: { label: 'chromium', binaries: ['/usr/bin/chromium', 'chromium'], debianPackages: ['chromium'] },
  // The daemon: a bare `docker` client (some machines have one) cannot run a container.
  dockerd: { label: 'dockerd', binaries: ['/usr/sbin/dockerd', 'dockerd'], debianPackages: ['docker.io'] },
  mariadb: {
    label: 'MariaDB',
    binaries: ['/usr/sbin/mariadbd', 'mariadbd'],
    debianPackages: ['mariadb-server'],
  },
} as const satisfies Record<string, SystemPackage>;
