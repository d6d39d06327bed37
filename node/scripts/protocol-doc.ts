/** Rewrites the generated tables of docs/protocol.md and docs/openrpc.json from the protocol module. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withFreshTables } from '../src/protocol/markdown.js';
import { openRpcJson } from './openrpc-file.js';

const markdown = fileURLToPath(new URL('../../docs/protocol.md', import.meta.url));
writeFileSync(markdown, withFreshTables(readFileSync(markdown, 'utf8')));
console.log(`updated ${markdown}`);
const openrpc = fileURLToPath(new URL('../../docs/openrpc.json', import.meta.url));
writeFileSync(openrpc, openRpcJson());
console.log(`updated ${openrpc}`);
