#!/usr/bin/env node
// `npm test`: sets the machine up once (scripts/setup.mjs), builds, runs every workspace's suites
// in turn, and ends with one plain line `N passed, N failed` summed over all of them.
//
//   npm test -- --setup-only     only the machine's set-up (what the Docker suite alone needs too)
//   npm test -- --suites node,cli  only these suites (and only the set-up they need)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const suites = [
  { name: 'node', cwd: 'node', args: ['ava'], needs: ['mariadb'] },
  { name: 'cli', cwd: 'cli', args: ['ava'], needs: ['mariadb', 'nginx'] },
  { name: 'spa', cwd: 'spa', args: ['ava'], needs: [] },
  // The web app is built once, below, before any suite: the browser suite and the npm start
  // tests both serve spa/dist.
  {
    name: 'spa-browser',
    cwd: 'spa',
    args: ['ava', '--config', 'ava.browser.config.mjs'],
    needs: ['mariadb', 'nginx', 'chromium'],
  },
  // Last and alone: seven containers next to the local-driver suites would starve two cores.
  {
    name: 'docker',
    cwd: 'cli',
    args: ['ava', '--config', 'ava.docker.config.mjs'],
    needs: ['docker', 'base-image'],
  },
];

function run(suite) {
  return new Promise((resolve) => {
    const child = spawn('npx', suite.args, { cwd: suite.cwd, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    const take = (chunk, stream) => {
      out += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', (c) => take(c, process.stdout));
    child.stderr.on('data', (c) => take(c, process.stderr));
    child.on('close', (code) => {
      // ava prints one ✔ or ✘ line per test; its summary omits the passed count when
      // something failed, so the lines are what is counted.
      const passed = (out.match(/^\s*✔/gm) ?? []).length;
      const failedLines = (out.match(/^\s*✘/gm) ?? []).length;
      const failedSummary = Number(/(\d+) tests? failed/.exec(out)?.[1] ?? 0);
      const failed =
        Math.max(failedLines, failedSummary) +
        Number(/(\d+) uncaught exceptions?/.exec(out)?.[1] ?? 0) +
        Number(/(\d+) known failures?/.exec(out)?.[1] ?? 0);
      // A suite that crashed or timed out without counting a failure is a failure, not zero tests.
      resolve({ passed, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), code });
    });
  });
}

function step(title, command, args) {
  process.stdout.write(`\n== ${title} ==\n`);
  return spawnSync(command, args, { stdio: 'inherit' }).status === 0;
}

// `--suites a,b`: a subset, for a developer's loop or a machine that cannot run one of them (a
// container without the rights to run Docker, say). Every name must be known.
const only = (() => {
  const i = process.argv.indexOf('--suites');
  if (i < 0) return null;
  const names = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !suites.some((s) => s.name === n));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `--suites takes a comma-separated list of ${suites.map((s) => s.name).join(', ')}` +
        `${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}\n`,
    );
    process.exit(2);
  }
  return new Set(names);
})();
const chosen = suites.filter((s) => only === null || only.has(s.name));
const wanted = [...new Set(chosen.flatMap((s) => s.needs))];
process.stdout.write(`\n== set-up: ${wanted.join(', ')} ==\n`);
const failedSetup = await setup(wanted);
if (process.argv.includes('--setup-only')) process.exit(failedSetup.size > 0 ? 1 : 0);

// What the suites use besides their sources: the web app (the browser suite and the npm start
// tests serve spa/dist), the compiled node the Docker images run, the CLI manifest and reference.
// The tests run the TypeScript sources, so a build failure (a type error, say) is counted as one
// failure and the suites still run.
let passed = 0;
let failed = 0;
for (const [title, args] of [
  ['build: node and CLI (tsc -b, assets, oclif manifest)', ['run', 'build:ts']],
  ['build: web app', ['run', 'build', '-w', 'spa']],
]) {
  if (!step(title, 'npm', args)) failed += 1;
}

const hasTests = (dir) =>
  existsSync(`${dir}/test`) &&
  readdirSync(`${dir}/test`, { recursive: true, withFileTypes: true }).some(
    (f) => f.isFile() && f.name.endsWith('.test.ts'),
  );
for (const suite of chosen.filter((s) => hasTests(s.cwd))) {
  process.stdout.write(`\n== ${suite.name} ==\n`);
  const missing = suite.needs.filter((c) => failedSetup.has(c));
  if (missing.length > 0) {
    // Counted as one failure, with what to run, instead of a suite of confusing timeouts.
    for (const c of missing)
      process.stdout.write(`not run: ${c} is not set up: ${failedSetup.get(c).message}\n`);
    failed += 1;
    continue;
  }
  const result = await run(suite);
  passed += result.passed;
  failed += result.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
