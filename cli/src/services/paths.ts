/** Where things are on disk: the repo root and the cluster state folders. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, three levels above cli/src/services/ and four above cli/dist/src/services/. */
export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  import.meta.url.endsWith('.ts') ? '../../..' : '../../../..',
);

/** `.booking/` at the repo root; BOOKING_STATE_ROOT moves it (tests, read-only checkouts). */
export function stateRoot(): string {
  return process.env.BOOKING_STATE_ROOT
    ? path.resolve(process.env.BOOKING_STATE_ROOT)
    : path.join(repoRoot, '.booking');
}

export function stateDir(name: string): string {
  return path.join(stateRoot(), name);
}

export const nodeBin = path.join(repoRoot, 'node/bin/booking-node.mjs');
export const spaDist = path.join(repoRoot, 'spa/dist');
