/**
 * The state of a running cluster, `.booking/<name>/state.json`. It outlives the CLI process (the
 * nodes are detached), so every command starts by loading it. The folder is 0700: it holds the
 * cluster secret and the admin token.
 */
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterState, NodeState } from './drivers/driver.js';
import { CliError, exitCodes } from './errors.js';
import { stateDir, stateRoot } from './paths.js';

/** Cluster names become database names (`booking_<name>_n1`) and folder names: keep them plain. */
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9_]{0,39}$/;

export function validateClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name)) {
    throw new CliError(
      `invalid cluster name "${name}"`,
      'use 1-40 lowercase letters, digits or underscores (it becomes part of the database names)',
      exitCodes.usage,
    );
  }
  return name;
}

export async function ensureStateDir(name: string): Promise<string> {
  const dir = stateDir(name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by the umask and ignored for an existing folder.
  await chmod(dir, 0o700);
  return dir;
}

export async function readState(name: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(path.join(stateDir(name), 'state.json'), 'utf8')) as ClusterState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read the state of cluster "${name}": ${(error as Error).message}`);
  }
}

/** Loads the state or fails with a hint to start the cluster. */
export async function loadState(name: string): Promise<ClusterState> {
  const state = await readState(validateClusterName(name));
  if (!state) {
    throw new CliError(
      `no cluster named "${name}"`,
      `start it with: booking cluster start --name ${name}`,
      exitCodes.notFound,
    );
  }
  return state;
}

export async function saveState(state: ClusterState): Promise<void> {
  const dir = await ensureStateDir(state.name);
  const file = path.join(dir, 'state.json');
  // Write-then-rename so a crash never leaves half a state file with the secrets in it.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeStateDir(name: string): Promise<void> {
  await rm(stateDir(validateClusterName(name)), { recursive: true, force: true });
}

export async function listClusterNames(): Promise<string[]> {
  try {
    const entries = await readdir(stateRoot(), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && CLUSTER_NAME.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The node with this id, or a not-found error that lists the ones the cluster has. */
export function nodeOf(state: ClusterState, nodeId: number): NodeState {
  const node = state.nodes.find((n) => n.id === nodeId);
  if (!node) {
    throw new CliError(
      `cluster "${state.name}" has no node ${nodeId}`,
      `its nodes are ${state.nodes.map((n) => n.id).join(', ')}`,
      exitCodes.notFound,
    );
  }
  return node;
}
