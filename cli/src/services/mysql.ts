/**
 * The MySQL server the local driver's nodes share (each node has its own database on it):
 * check it answers before starting anything, start the local MariaDB when that is what the
 * default URL points at and we can, and drop a cluster's databases on `stop --purge`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { CliError, exitCodes } from './errors.js';
import { waitFor } from './ports.js';
import { isRoot } from './system-packages.js';

export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306';

/** `mysql://user[:pass]@host:port` without a database, trailing slash or query. */
export function normalizeServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      `invalid MySQL URL "${raw}"`,
      'expected mysql://user[:password]@host:port',
      exitCodes.usage,
    );
  }
  if (url.protocol !== 'mysql:' || !url.hostname) {
    throw new CliError(
      `invalid MySQL URL "${raw}"`,
      'expected mysql://user[:password]@host:port',
      exitCodes.usage,
    );
  }
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new CliError(
      `the MySQL URL "${redact(raw)}" names a database`,
      'give the server only (mysql://user@host:port): each node gets its own database booking_<name>_n<id>',
      exitCodes.usage,
    );
  }
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `mysql://${auth}${url.host}`;
}

/** The URL with any password replaced, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^(mysql:\/\/[^:@/]+):[^@/]*@/, '$1:***@');
}

export function databaseName(cluster: string, nodeId: number): string {
  return `booking_${cluster}_n${nodeId}`;
}

function connectOptions(serverUrl: string): mysql.ConnectionOptions {
  const url = new URL(serverUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    connectTimeout: 3000,
  };
}

async function ping(serverUrl: string): Promise<void> {
  const connection = await mysql.createConnection(connectOptions(serverUrl));
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

function isLocalDefault(serverUrl: string): boolean {
  const url = new URL(serverUrl);
  return ['127.0.0.1', 'localhost'].includes(url.hostname) && (url.port === '' || url.port === '3306');
}

/** Starts the system MariaDB the way `npm start` does, when it is installed and we are root. */
async function startLocalMariaDb(serverUrl: string): Promise<boolean> {
  if (!isRoot() || !existsSync('/usr/sbin/mariadbd')) return false;
  spawnSync('mkdir', ['-p', '/run/mysqld']);
  spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
  const started = spawnSync(
    'start-stop-daemon',
    // mariadbd refuses to run as root; Debian's config leaves the user to the init script.
    ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd', '--', '--user=mysql'],
    { stdio: 'ignore' },
  );
  if (started.status !== 0) return false;
  try {
    await waitFor(
      'MariaDB',
      () =>
        ping(serverUrl).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves when the server answers `SELECT 1`; otherwise starts the local MariaDB if that is what
 * the URL means and this machine can, or fails with one line naming the URL.
 */
export async function ensureMySqlReachable(
  serverUrl: string,
  progress?: (step: string, detail?: string) => void,
): Promise<void> {
  try {
    await ping(serverUrl);
    return;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'ECONNREFUSED' && isLocalDefault(serverUrl)) {
      progress?.('Starting MariaDB', '/usr/sbin/mariadbd');
      if (await startLocalMariaDb(serverUrl)) return;
    }
    const reason = e.code === 'ER_ACCESS_DENIED_ERROR' ? 'access denied' : (e.code ?? e.message ?? 'error');
    throw new CliError(
      `cannot reach MySQL at ${redact(serverUrl)} (${reason})`,
      e.code === 'ER_ACCESS_DENIED_ERROR'
        ? 'check the user and password in --mysql-url'
        : 'start MySQL/MariaDB (npm start does it for the default URL), or pass --mysql-url mysql://user@host:port',
      exitCodes.unavailable,
    );
  }
}

/** Drops every node database of a cluster (`stop --purge`). */
export async function dropDatabases(serverUrl: string, cluster: string, nodeIds: number[]): Promise<void> {
  const connection = await mysql.createConnection(connectOptions(serverUrl));
  try {
    for (const id of nodeIds) {
      await connection.query(`DROP DATABASE IF EXISTS \`${databaseName(cluster, id)}\``);
    }
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
