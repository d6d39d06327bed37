/**
 * The published docs/openrpc.json: the document `rpc.discover` serves, pretty-printed, for the
 * package version. The docs script writes it and a test fails when it is stale.
 */
import { readFileSync } from 'node:fs';
import { buildOpenRpcDocument } from '../src/protocol/openrpc.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function openRpcJson(): string {
  return `${JSON.stringify(buildOpenRpcDocument(packageVersion()), null, 2)}\n`;
}
