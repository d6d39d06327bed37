/**
 * A real cluster behind a real Nginx for the browser suite, serving the built app from spa/dist.
 *
 * - With the CLI's local driver present (cli/src/commands/cluster/start.ts), it is
 *   `npx booking cluster start --nodes 3`: three nodes, a master elected, Nginx in front. That is
 *   what `npm start` gives a person, so that is what the browser tests drive.
 * - Without it (the CLI is built alongside the app), a stand-in: one booking node and a private
 *   Nginx with the same routes (`/rpc`, `/nodes/<id>/rpc`, the SPA with history fallback).
 *
 * Either way everything listens on 127.0.0.1 and the suite never reaches past loopback.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@booking/node/free-ports';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const distDir = join(repoRoot, 'spa', 'dist');

export interface KillReport {
  killed: number;
  previousMasterId: number | null;
  newMasterId: number | null;
}

export interface Stack {
  kind: 'cli' | 'standalone';
  name: string;
  /** http://127.0.0.1:<port>: Nginx, serving the app and /rpc. */
  url: string;
  nodes: number;
  /** SIGKILLs the master; with `wait: false` returns as soon as it is dead, before the election. */
  killMaster(opts?: { wait?: boolean }): Promise<KillReport>;
  stop(): Promise<void>;
}

/** The CLI's local driver has landed when its `cluster start` command exists. */
export function cliAvailable(): boolean {
  // SPA_E2E_STACK=standalone forces the stand-in (e.g. to bisect a failure between app and cluster).
  if (process.env.SPA_E2E_STACK === 'standalone') return false;
  return (
    existsSync(join(repoRoot, 'cli/src/commands/cluster/start.ts')) &&
    existsSync(join(repoRoot, 'cli/src/commands/cluster/kill.ts'))
  );
}

function booking(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      'npx',
      ['booking', ...args, '--json'],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`booking ${args.join(' ')} failed: ${stderr || error.message}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`booking ${args.join(' ')} printed no JSON: ${stdout.slice(0, 500)}`));
        }
      },
    );
  });
}

export async function startStack(
  name: string,
  opts: { nodes?: number; needCli?: boolean } = {},
): Promise<Stack> {
  if (cliAvailable()) return startWithCli(name, opts.nodes ?? 3);
  if (opts.needCli) throw new Error('this test needs the booking CLI (cli/src/commands/cluster/start.ts)');
  return startStandalone(name);
}

async function startWithCli(name: string, nodes: number): Promise<Stack> {
  const port = await freePort();
  // A cluster left over from an interrupted run under the same name would hold its ports.
  await booking(['cluster', 'stop', '--name', name, '--purge', '--yes']).catch(() => undefined);
  const stop = async () => {
    await booking(['cluster', 'stop', '--name', name, '--purge', '--yes']).catch(() => undefined);
  };
  let status: { url?: string };
  try {
    status = (await booking([
      'cluster',
      'start',
      '--name',
      name,
      '--port',
      String(port),
      '--nodes',
      String(nodes),
    ])) as { url?: string };
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (status.url ?? `http://127.0.0.1:${port}`).replace('//localhost:', '//127.0.0.1:');
  return {
    kind: 'cli',
    name,
    url,
    nodes,
    async killMaster({ wait = true } = {}) {
      const args = ['cluster', 'kill', '--name', name, '--master'];
      if (!wait) args.push('--no-wait');
      return (await booking(args)) as KillReport;
    },
    stop,
  };
}

function nginxConfig(dir: string, port: number, nodePorts: Map<number, number>): string {
  const perNode = [...nodePorts]
    .map(
      ([id, nodePort]) => `
    location = /nodes/${id}/rpc {
      proxy_pass http://127.0.0.1:${nodePort}/rpc;
      include ${dir}/ws.conf;
    }`,
    )
    .join('');
  const servers = [...nodePorts.values()].map((p) => `server 127.0.0.1:${p};`).join(' ');
  writeFileSync(
    join(dir, 'ws.conf'),
    [
      'proxy_http_version 1.1;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $connection_upgrade;',
      // With its port: the node checks a browser's Origin against the Host it was asked for.
      'proxy_set_header Host $http_host;',
      'proxy_read_timeout 1h;',
      '',
    ].join('\n'),
  );
  return `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream booking { ${servers} }
  server {
    listen 127.0.0.1:${port};
    root ${distDir};
    location = /rpc {
      proxy_pass http://booking;
      include ${dir}/ws.conf;
    }${perNode}
    location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    location / { try_files $uri /index.html; }
  }
}
`;
}

async function waitFor(what: string, check: () => Promise<boolean>, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

function dropDatabase(database: string): void {
  spawnSync('mysql', ['-uroot', '-h127.0.0.1', '-e', `DROP DATABASE IF EXISTS \`${database}\``], {
    stdio: 'ignore',
  });
}

async function startStandalone(name: string): Promise<Stack> {
  const dir = join(tmpdir(), `booking-spa-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [port, nodePort] = [await freePort(), await freePort()];
  const database = `booking_${name.replace(/\W/g, '_')}_n1`;
  dropDatabase(database);
  const children: ChildProcess[] = [];
  const log = openSync(join(dir, 'node-1.log'), 'a');
  children.push(
    spawn(process.execPath, [join(repoRoot, 'node/bin/booking-node.mjs')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        BOOKING_NODE_ID: '1',
        BOOKING_HOST: '127.0.0.1',
        BOOKING_PORT: String(nodePort),
        BOOKING_MYSQL_URL: `mysql://root@127.0.0.1:3306/${database}`,
        BOOKING_CATALOG: 'bundled',
      },
      stdio: ['ignore', log, log],
    }),
  );
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, new Map([[1, nodePort]])));
  children.push(
    spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', openSync(join(dir, 'nginx.log'), 'a'), openSync(join(dir, 'nginx.log'), 'a')],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
      ),
    );
    dropDatabase(database);
  };
  try {
    await waitFor(`node 1 on ${nodePort}`, () => httpOk(`http://127.0.0.1:${nodePort}/healthz`));
    await waitFor(`nginx on ${port}`, () => httpOk(`${url}/`));
  } catch (error) {
    await stop();
    const logs = ['node-1.log', 'nginx.log', 'error.log']
      .map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').slice(-2000) : ''))
      .join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return {
    kind: 'standalone',
    name,
    url,
    nodes: 1,
    killMaster: () => Promise.reject(new Error('a standalone stack has one node; failover needs the CLI')),
    stop,
  };
}
