/**
 * The driver registry. Drivers load lazily: the local path never loads dockerode, and a machine
 * without the docker driver's dependencies can still run everything local.
 */
import { CliError, exitCodes } from '../errors.js';
import type { ClusterDriver, DriverName } from './driver.js';

export const driverNames = ['local', 'docker'] as const satisfies readonly DriverName[];

export async function getDriver(name: string): Promise<ClusterDriver> {
  switch (name) {
    case 'local': {
      const { createLocalDriver } = await import('./local/index.js');
      return createLocalDriver();
    }
    case 'docker': {
      // Loaded only here: dockerode and the image code stay out of every local command.
      let mod: typeof import('./docker/index.js');
      try {
        mod = await import('./docker/index.js');
      } catch (error) {
        throw new CliError(
          `the docker driver failed to load: ${(error as Error).message.split('\n')[0]}`,
          'run npm ci at the repository root (dockerode is a dependency of the cli workspace)',
          exitCodes.unavailable,
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
