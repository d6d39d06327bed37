/**
 * The driver registry. Drivers load lazily: the local path never loads dockerode, and a machine
 * without the docker driver's dependencies can still run everything local.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, exitCodes } from '../errors.js';
import type { ClusterDriver, DriverName } from './driver.js';

export const driverNames = ['local', 'docker'] as const satisfies readonly DriverName[];

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the docker driver lives; it is built separately and may not be there yet. */
function dockerDriverModule(): string | null {
  for (const ext of ['ts', 'js']) {
    const file = path.join(here, 'docker', `index.${ext}`);
    if (existsSync(file)) return file;
  }
  return null;
}

export async function getDriver(name: string): Promise<ClusterDriver> {
  switch (name) {
    case 'local': {
      const { createLocalDriver } = await import('./local/index.js');
      return createLocalDriver();
    }
    case 'docker': {
      if (!dockerDriverModule()) {
        throw new CliError(
          'the docker driver is not available in this checkout',
          'use the local driver (--driver local, the default), or `docker compose up --build`',
          exitCodes.unavailable,
        );
      }
      // A variable specifier keeps TypeScript from requiring the module at build time.
      const specifier = './docker/index.js';
      let mod: { createDockerDriver?: () => ClusterDriver };
      try {
        mod = (await import(specifier)) as typeof mod;
      } catch (error) {
        throw new CliError(
          `the docker driver failed to load: ${(error as Error).message.split('\n')[0]}`,
          'run npm ci at the repository root (dockerode is a dependency of the cli workspace)',
          exitCodes.unavailable,
        );
      }
      if (typeof mod.createDockerDriver !== 'function') {
        throw new CliError(
          'the docker driver does not export createDockerDriver()',
          undefined,
          exitCodes.failed,
        );
      }
      return mod.createDockerDriver();
    }
    default:
      throw new CliError(
        `unknown driver "${name}"`,
        `use one of: ${driverNames.join(', ')}`,
        exitCodes.usage,
      );
  }
}
