#!/usr/bin/env node
// Sums the gzipped size of every JavaScript chunk Vite emitted and fails the build past the budget:
// the app is opened on phones over poor networks, so the budget is a hard limit, not a wish.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const budget = Number(process.env.SPA_JS_BUDGET_BYTES ?? 200 * 1024);
const assets = fileURLToPath(new URL('../dist/assets/', import.meta.url));

const rows = readdirSync(assets)
  .filter((name) => name.endsWith('.js'))
  .map((name) => {
    const raw = readFileSync(join(assets, name));
    return { name, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const row of rows) console.log(`${kb(row.gzip).padStart(9)}  ${row.name}`);
const total = rows.reduce((sum, row) => sum + row.gzip, 0);
console.log(`gzipped JavaScript: ${kb(total)} in ${rows.length} files (budget ${kb(budget)})`);
if (rows.length === 0 || total > budget) {
  console.error(rows.length === 0 ? 'no JavaScript in dist/assets: did the build run?' : 'over budget');
  process.exit(1);
}
