/**
 * The docker driver's pieces that need no engine: the build-context tar writer, the runtime
 * dependency closure that goes into the node image, and the committed compose Nginx config.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ContextBuilder, runtimePackages } from '../../src/services/drivers/docker/context.js';
import { composeNginxConfig } from '../../src/services/drivers/docker/nginx.js';
import { type TarEntry, tarSize, tarStream } from '../../src/services/drivers/docker/tar.js';
import { repoRoot } from '../../src/services/paths.js';

async function collect(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('the tar writer makes archives GNU tar reads, long names, modes and symlinks included', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'booking-tar-'));
  try {
    const longName = `${'deeply/nested/'.repeat(12)}file-with-a-long-name.js`;
    const onDisk = path.join(dir, 'script.sh');
    writeFileSync(onDisk, '#!/bin/sh\necho hi\n');
    const entries: TarEntry[] = [
      { type: 'dir', name: 'a', mode: 0o755, mtime: 0 },
      { type: 'file', name: 'a/script.sh', mode: 0o755, mtime: 1_700_000_000, size: 18, source: onDisk },
      { type: 'file', name: longName, mode: 0o644, mtime: 0, size: 5, source: Buffer.from('hello') },
      { type: 'symlink', name: 'a/link', mode: 0o777, mtime: 0, target: 'script.sh' },
    ];
    const archive = await collect(entries);
    t.is(archive.length, tarSize(entries));
    t.is(archive.length % 512, 0);
    const file = path.join(dir, 'out.tar');
    writeFileSync(file, archive);
    const out = path.join(dir, 'out');
    spawnSync('mkdir', [out]);
    const result = spawnSync('tar', ['-xf', file, '-C', out], { encoding: 'utf8' });
    t.is(result.status, 0, result.stderr);
    t.is(readFileSync(path.join(out, longName), 'utf8'), 'hello');
    t.is(readFileSync(path.join(out, 'a/link'), 'utf8'), '#!/bin/sh\necho hi\n');
    const mode = spawnSync('stat', ['-c', '%a', path.join(out, 'a/script.sh')], { encoding: 'utf8' });
    t.is(mode.stdout.trim(), '755');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the node image gets the runtime closure of node/package.json, not the dev tools', async (t) => {
  const packages = new Set(await runtimePackages(repoRoot, 'node'));
  for (const needed of [
    'node_modules/ws',
    'node_modules/mysql2',
    'node_modules/piscina',
    'node_modules/pino',
  ]) {
    t.true(packages.has(needed), `${needed} is missing`);
  }
  // The image runs compiled JavaScript: no TypeScript loader (tsx, esbuild) and no dev tool.
  const dev = [
    'tsx',
    'esbuild',
    'typescript',
    'vite',
    '@biomejs/biome',
    'ava',
    'playwright-core',
    'dockerode',
  ];
  for (const name of dev) {
    t.false(packages.has(`node_modules/${name}`), `${name} should not be in the node image`);
  }
  t.false([...packages].some((p) => p.startsWith('node_modules/@esbuild/')));
});

test('context keys change with the inputs and only with them', async (t) => {
  const key = async (extra: string) =>
    (await new ContextBuilder(repoRoot).add('docker/mysql')).addContent('x.conf', extra).build().key;
  t.is(await key('a'), await key('a'));
  t.not(await key('a'), await key('b'));
});

test('docker/nginx/compose.conf is what the shared generator makes (npx tsx docker/nginx/render-compose-conf.ts)', (t) => {
  const committed = readFileSync(path.join(repoRoot, 'docker/nginx/compose.conf'), 'utf8');
  t.is(committed, composeNginxConfig());
});
