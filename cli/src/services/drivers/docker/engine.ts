/**
 * The Docker engine through dockerode: connecting (DOCKER_HOST or /var/run/docker.sock), names
 * and labels of everything a cluster owns, and the small waits and stream helpers the driver
 * needs. Nothing here shells out to the docker CLI.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { CliError, exitCodes } from '../../errors.js';

/** Every object the driver creates carries these labels; `booking.cluster` finds a cluster's objects again. */
export const LABEL = {
  managed: 'booking.managed',
  cluster: 'booking.cluster',
  role: 'booking.role',
  node: 'booking.node',
  image: 'booking.image',
  contextKey: 'booking.context',
} as const;

export type Role = 'node' | 'mysql' | 'nginx';

export const names = {
  network: (cluster: string) => `booking-${cluster}`,
  node: (cluster: string, id: number) => `booking-${cluster}-n${id}`,
  mysql: (cluster: string, id: number) => `booking-${cluster}-db${id}`,
  volume: (cluster: string, id: number) => `booking-${cluster}-db${id}`,
  nginx: (cluster: string) => `booking-${cluster}-nginx`,
};

export function clusterLabels(cluster: string, role?: Role, nodeId?: number): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.cluster]: cluster };
  if (role) labels[LABEL.role] = role;
  if (nodeId !== undefined) labels[LABEL.node] = String(nodeId);
  return labels;
}

export function clusterFilter(cluster: string, extra: string[] = []): string {
  return JSON.stringify({ label: [`${LABEL.cluster}=${cluster}`, ...extra] });
}

let shared: Docker | null = null;

/** The engine client, after checking that the engine answers (a clear error if not). */
export async function connect(): Promise<Docker> {
  const docker = shared ?? new Docker();
  try {
    await docker.ping();
  } catch (error) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    throw new CliError(
      `the Docker engine does not answer on ${where}: ${(error as Error).message}`,
      'start it (systemctl start docker, or dockerd &), or use --driver local',
      exitCodes.unavailable,
    );
  }
  shared = docker;
  return docker;
}

export function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Runs fn, treating "no such object" (404) as done and "already in that state" (304) as fine. */
export async function ignoreMissing<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    const code = statusCode(error);
    if (code === 404 || code === 304) return undefined;
    throw error;
  }
}

export function dockerMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; reason?: string; message?: string };
  return (e.json?.message ?? e.message ?? String(error)).trim();
}

/**
 * Splits Docker's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into
 * text, one chunk per frame. Works on a live stream (follow) and on a finished Buffer.
 */
export async function* demux(source: AsyncIterable<Buffer> | Buffer): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0);
  const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const kind = pending[0]!;
      if (kind > 2 || pending[1] !== 0 || pending[2] !== 0 || pending[3] !== 0) {
        // Not multiplexed (a TTY container): plain text.
        yield pending.toString('utf8');
        pending = Buffer.alloc(0);
        break;
      }
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      yield pending.subarray(8, 8 + size).toString('utf8');
      pending = pending.subarray(8 + size);
    }
  }
  if (pending.length > 0) yield pending.toString('utf8');
}

/** Whole lines from text chunks. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    rest += chunk;
    let newline = rest.indexOf('\n');
    while (newline >= 0) {
      yield rest.slice(0, newline).replace(/\r$/, '');
      rest = rest.slice(newline + 1);
      newline = rest.indexOf('\n');
    }
  }
  if (rest) yield rest;
}

/** The last lines a container printed, for error messages. */
export async function tailLogs(docker: Docker, id: string, count = 15): Promise<string[]> {
  try {
    const buffer = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, follow: false, tail: count })) as unknown as Buffer;
    const out: string[] = [];
    for await (const line of lines(demux(buffer))) out.push(line);
    return out;
  } catch {
    return [];
  }
}

export type ContainerStatus = 'running' | 'paused' | 'stopped';

export async function containerStatus(docker: Docker, id: string | undefined): Promise<ContainerStatus> {
  if (!id) return 'stopped';
  try {
    const info = await docker.getContainer(id).inspect();
    if (info.State.Paused) return 'paused';
    return info.State.Running ? 'running' : 'stopped';
  } catch (error) {
    if (statusCode(error) === 404) return 'stopped';
    throw error;
  }
}

/** Polls until `check` returns a value; `check` may throw to abort the wait early. */
export async function poll<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) {
      throw new CliError(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${what}`,
        undefined,
        exitCodes.timeout,
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
