/**
 * The hooks every CLI-driven docker test file needs: a Docker engine and the offline base image
 * before, and no cluster or state folder left after, whatever happened in between.
 */
import { rmSync } from 'node:fs';
import anyTest, { type TestFn } from 'ava';
import { newStateRoot, runCli } from '../../helpers/cli.js';
import { ensureBaseImage, ensureDockerEngine } from './engine.js';

export function dockerCliSuite(clusterName: string): TestFn<{ stateRoot: string }> {
  const test = anyTest as TestFn<{ stateRoot: string }>;
  test.before(async (t) => {
    t.context.stateRoot = newStateRoot();
    const docker = await ensureDockerEngine((line) => t.log(line));
    await ensureBaseImage(docker, (line) => t.log(line));
  });
  test.after.always(async (t) => {
    await runCli(['cluster', 'stop', '--name', clusterName, '--purge'], { stateRoot: t.context.stateRoot });
    rmSync(t.context.stateRoot, { recursive: true, force: true });
  });
  return test;
}
