import { readFileSync } from 'node:fs';
import test from 'ava';
import { withFreshTables } from '../src/protocol/markdown.js';

test('docs/protocol.md lists exactly the methods, params and error reasons the server has', (t) => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  t.is(doc, withFreshTables(doc), 'stale: run `npm run docs:protocol`');
  t.regex(doc, /\| `seats\.hold` \| `showId`: string, `seatIds`: string\[\] \(1\.\.100\)/);
});
