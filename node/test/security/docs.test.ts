import { readFileSync } from 'node:fs';
import test from 'ava';
import { LIMIT_NAMES, limitsTable, limitVariable } from '../../src/limits.js';

test('docs/security.md carries the limits table of limits.ts, and names every limit', (t) => {
  const doc = readFileSync(new URL('../../../docs/security.md', import.meta.url), 'utf8');
  const start = doc.indexOf('-->', doc.indexOf('<!-- limits table')) + 3;
  const end = doc.indexOf('<!-- end of limits table -->');
  t.true(start > 3 && end > start, 'the table markers are there');
  t.is(doc.slice(start, end).trim(), limitsTable(), 'stale: paste limitsTable() from node/src/limits.ts');
  for (const name of LIMIT_NAMES) t.true(doc.includes(limitVariable(name)), name);
});
