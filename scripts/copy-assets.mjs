#!/usr/bin/env node
// tsc emits only JavaScript: the files the compiled node reads at run time next to its modules
// (the bundled catalog) are copied into node/dist after it.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const assets = ['node/src/catalog/bundled'];
for (const dir of assets) {
  const target = path.join(root, dir.replace(/^node\//, 'node/dist/'));
  rmSync(target, { recursive: true, force: true });
  cpSync(path.join(root, dir), target, { recursive: true });
}
