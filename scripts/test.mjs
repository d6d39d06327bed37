#!/usr/bin/env node
// `npm test`: sets up what the suites need, runs every workspace's suites in turn, and ends
// with one plain line `N passed, N failed` summed over all of them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ensureChromium, ensureMariaDb, ensureNginx } from './ensure-system.mjs';

const suites = [
  { name: 'node', cwd: 'node', args: ['ava'] },
  { name: 'cli', cwd: 'cli', args: ['ava'] },
  { name: 'spa', cwd: 'spa', args: ['ava'] },
  // The web app is built once, below, before any suite: the browser suite and the npm start
  // tests both serve spa/dist.
  { name: 'spa-browser', cwd: 'spa', args: ['ava', '--config', 'ava.browser.config.mjs'] },
  // Last and alone: seven containers next to the local-driver suites would starve two cores.
  { name: 'docker', cwd: 'cli', args: ['ava', '--config', 'ava.docker.config.mjs'] },
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

await ensureMariaDb();
ensureNginx();
ensureChromium();
process.stdout.write('\n== building the web app ==\n');
const build = spawnSync('npm', ['run', 'build', '-w', 'spa'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const hasTests = (dir) =>
  existsSync(`${dir}/test`) &&
  readdirSync(`${dir}/test`, { recursive: true, withFileTypes: true }).some(
    (f) => f.isFile() && f.name.endsWith('.test.ts'),
  );
let passed = 0;
let failed = 0;
for (const suite of suites.filter((s) => hasTests(s.cwd))) {
  process.stdout.write(`\n== ${suite.name} ==\n`);
  const result = await run(suite);
  passed += result.passed;
  failed += result.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
