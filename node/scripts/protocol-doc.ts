/** Rewrites the generated tables of docs/protocol.md from the protocol module. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withFreshTables } from '../src/protocol/markdown.js';

const file = fileURLToPath(new URL('../../docs/protocol.md', import.meta.url));
writeFileSync(file, withFreshTables(readFileSync(file, 'utf8')));
console.log(`updated ${file}`);
