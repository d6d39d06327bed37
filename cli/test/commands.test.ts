/**
 * Command level: help, flag validation, error rendering, exit codes and --json shapes, through
 * the real CLI binary. Nothing here starts a node, except where a failure must leave nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../src/services/paths.js';
import { freePort } from '../src/services/ports.js';
import { json, newStateRoot, runCli, uniqueName } from './helpers/cli.js';

const stateRoot = newStateRoot();
const cli = (...args: string[]) => runCli(args, { stateRoot });

interface JsonError {
  error: { message: string; hint?: string; exitCode: number };
}

test('the root help lists both topics', async (t) => {
  const r = await cli('--help');
  t.is(r.code, 0);
  t.regex(r.stdout, /cluster\s+Start, inspect, break and stop/);
  t.regex(r.stdout, /catalog\s+Load movies, theaters and shows/);
});

for (const command of ['start', 'status', 'kill', 'revive', 'stop', 'logs', 'events']) {
  test(`cluster ${command} --help shows usage, --json and examples`, async (t) => {
    const r = await cli('cluster', command, '--help');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`\\$ booking cluster ${command}`));
    t.regex(r.stdout, /--json/);
    t.regex(r.stdout, /EXAMPLES/);
    t.regex(r.stdout, /-n, --name=<value>/);
  });
}

test('cluster stop --purge without a terminal refuses unless --yes says so', async (t) => {
  // The suites set BOOKING_YES=1 (they are scripts); this is what anyone else's script sees.
  const noYes = { BOOKING_YES: '' };
  const r = await runCli(['cluster', 'stop', '--name', 'nosuch', '--purge'], { stateRoot, env: noYes });
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, '');
  t.regex(r.stderr, /--purge drops every database and the state of cluster "nosuch"/);
  t.regex(r.stderr, /Hint: {2}confirm it with --yes: booking cluster stop --name nosuch --purge --yes/);
  const j = await runCli(['cluster', 'stop', '--name', 'nosuch', '--purge', '--json'], {
    stateRoot,
    env: noYes,
  });
  t.is(json<JsonError>(j).error.exitCode, 2);
  // With --yes it goes on to the stop itself, which finds no such cluster.
  const yes = await runCli(['cluster', 'stop', '--name', 'nosuch', '--purge', '--yes'], {
    stateRoot,
    env: noYes,
  });
  t.is(yes.code, 3, yes.stderr);
});

test('a mistyped command is named, with exit 127 (plugin-not-found)', async (t) => {
  const r = await cli('clustr', 'status');
  t.is(r.code, 127);
  t.regex(r.stderr, /clustr status is not a booking command/);
});

test('the root help offers shell completion (plugin-autocomplete)', async (t) => {
  const r = await cli('--help');
  t.regex(r.stdout, /autocomplete\s+Display autocomplete installation instructions/);
});

test('docs/cli.md is the current command reference (npm run docs:cli)', (t) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/cli-docs.mjs'), '--check'], {
    encoding: 'utf8',
  });
  t.is(r.status, 0, r.stderr);
  const page = readFileSync(path.join(repoRoot, 'docs/cli.md'), 'utf8');
  for (const command of ['cluster start', 'cluster stop', 'bench', 'chaos', 'catalog import']) {
    t.true(page.includes(`### \`booking ${command}\``), command);
  }
});

test('the shipped bin (compiled commands, oclif manifest) knows the same commands as the sources', async (t) => {
  const manifestFile = path.join(repoRoot, 'cli/oclif.manifest.json');
  t.true(existsSync(manifestFile), 'no cli/oclif.manifest.json: run npm run build:ts');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { commands: Record<string, unknown> };
  const fromSources = (await cli('--help')).stdout;
  const shipped = spawnSync(process.execPath, [path.join(repoRoot, 'cli/bin/run.js'), 'cluster', '--help'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', BOOKING_STATE_ROOT: stateRoot },
  });
  t.is(shipped.status, 0, shipped.stderr);
  for (const id of Object.keys(manifest.commands)) {
    const words = id.split(':');
    t.true(fromSources.includes(words[0]!), `${id} is in the manifest but not in the sources' help`);
    if (words[0] === 'cluster') t.regex(shipped.stdout, new RegExp(`cluster ${words[1]}\\s`), id);
  }
});

test('catalog import --help names its sources', async (t) => {
  const r = await cli('catalog', 'import', '--help');
  t.is(r.code, 0);
  t.regex(r.stdout, /--source=<option>/);
  t.regex(r.stdout, /bundled\|tmdb/);
});

test('cluster start --help documents the design flags and defaults', async (t) => {
  const r = await cli('cluster', 'start', '--help');
  for (const flag of ['--nodes', '--driver', '--port', '--mysql-url', '--hold-ttl', '--name']) {
    t.true(r.stdout.includes(flag), flag);
  }
  t.regex(r.stdout, /default: 8080/);
  t.regex(r.stdout, /default: 5m/);
  t.regex(r.stdout, /local\|docker/);
});

test('status of an unknown cluster: one line, a hint, exit 3', async (t) => {
  const r = await cli('cluster', 'status', '--name', 'nosuch');
  t.is(r.code, 3);
  t.is(r.stdout, '');
  t.is(
    r.stderr,
    'Error: no cluster named "nosuch"\nHint:  start it with: booking cluster start --name nosuch\n',
  );
});

test('--json errors are one JSON object on stdout', async (t) => {
  const r = await cli('cluster', 'status', '--name', 'nosuch', '--json');
  t.is(r.code, 3);
  t.deepEqual(json<JsonError>(r), {
    error: {
      message: 'no cluster named "nosuch"',
      hint: 'start it with: booking cluster start --name nosuch',
      exitCode: 3,
    },
  });
});

const usageCases: [string, string[], RegExp][] = [
  [
    'kill needs --master or --node',
    ['cluster', 'kill'],
    /Exactly one of the following must be provided: --master, --node/,
  ],
  [
    'kill takes only one target',
    ['cluster', 'kill', '--master', '--node', '2'],
    /--master cannot also be provided/,
  ],
  ['revive needs --node', ['cluster', 'revive'], /Missing required flag node/],
  [
    '--nodes must be positive',
    ['cluster', 'start', '--nodes', '0'],
    /^Error: --nodes: Expected an integer greater than or equal to 1/,
  ],
  [
    '--hold-ttl must be a duration',
    ['cluster', 'start', '--hold-ttl', 'soon'],
    /^Error: --hold-ttl: "soon" is not a duration/,
  ],
  [
    '--driver is local or docker',
    ['cluster', 'start', '--driver', 'vm'],
    /Expected --driver=vm to be one of: local, docker/,
  ],
  [
    '--port is a port',
    ['cluster', 'start', '--port', '70000'],
    /^Error: --port: Expected an integer less than or equal to 65535/,
  ],
  ['cluster names are plain', ['cluster', 'status', '--name', 'Bad-Name'], /invalid cluster name "Bad-Name"/],
  ['unknown flags are refused', ['cluster', 'status', '--bogus'], /Nonexistent flag: --bogus/],
  [
    'a MySQL URL names a server, not a database',
    ['cluster', 'start', '--mysql-url', 'mysql://root@127.0.0.1:3306/db'],
    /names a database/,
  ],
  [
    'tmdb imports need their URLs',
    ['catalog', 'import', '--source', 'tmdb'],
    /--source tmdb needs --tmdb-url and --showtimes-url/,
  ],
];

for (const [title, args, message] of usageCases) {
  test(`usage error (exit 2): ${title}`, async (t) => {
    const r = await cli(...args);
    t.is(r.code, 2, r.stderr);
    t.is(r.stdout, '');
    t.regex(r.stderr, message);
    // One clear line and a hint, no stack trace.
    const lines = r.stderr.trimEnd().split('\n');
    t.is(lines.length, 2, r.stderr);
    t.regex(lines[1]!, /^Hint: /);
  });
}

test('usage errors with --json keep stdout pure JSON', async (t) => {
  const r = await cli('cluster', 'kill', '--json');
  t.is(r.code, 2);
  const body = json<JsonError>(r);
  t.is(body.error.exitCode, 2);
  t.regex(body.error.message, /Exactly one of the following must be provided/);
  t.is(body.error.hint, 'see: booking cluster kill --help');
});

test('an unreachable MySQL fails with its URL and leaves nothing behind', async (t) => {
  const name = uniqueName('nomysql');
  const mysqlPort = await freePort();
  const port = await freePort();
  const r = await cli(
    'cluster',
    'start',
    '--name',
    name,
    '--port',
    String(port),
    '--mysql-url',
    `mysql://root:hunter2@127.0.0.1:${mysqlPort}`,
    '--json',
  );
  t.is(r.code, 5, r.stderr);
  const body = json<JsonError>(r);
  t.regex(
    body.error.message,
    new RegExp(`^cannot reach MySQL at mysql://root:\\*\\*\\*@127\\.0\\.0\\.1:${mysqlPort} `),
  );
  t.false(r.stdout.includes('hunter2'), 'the password is never printed');
  t.regex(body.error.hint ?? '', /--mysql-url/);
  t.false(existsSync(path.join(stateRoot, name, 'state.json')));
});

test('a taken --port is a conflict (exit 4) naming the port', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await cli('cluster', 'start', '--name', uniqueName('busy'), '--port', String(port));
    t.is(r.code, 4, r.stderr);
    t.regex(r.stderr, new RegExp(`^Error: port ${port} on 127\\.0\\.0\\.1 is already in use`, 'm'));
    t.regex(r.stderr, /Hint: {2}pick another with --port/);
  } finally {
    server.close();
  }
});

test('BOOKING_CLUSTER picks the default cluster name', async (t) => {
  const r = await runCli(['cluster', 'status'], { stateRoot, env: { BOOKING_CLUSTER: 'fromenv' } });
  t.is(r.code, 3);
  t.regex(r.stderr, /no cluster named "fromenv"/);
});
