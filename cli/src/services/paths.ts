/** Where things are on disk: the repo root (the CLI runs from its sources) and the cluster state folders. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: cli/src/services/ is three levels below it. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

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
