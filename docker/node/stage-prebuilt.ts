/**
 * Copies the node workspace's runtime packages from the host's node_modules into
 * docker/node/prebuilt/node_modules, so that `docker compose build` can make the node image on a
 * machine without a registry (the Dockerfile uses them instead of running npm ci). The docker
 * driver does the same in memory and never needs this. Run: npx tsx docker/node/stage-prebuilt.ts
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimePackages } from '../../cli/src/services/drivers/docker/context.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const target = path.join(root, 'docker/node/prebuilt/node_modules');
await rm(target, { recursive: true, force: true });
const packages = await runtimePackages(root, 'node');
for (const pkg of packages) {
  await cp(path.join(root, pkg), path.join(target, pkg.replace(/^node_modules\//, '')), {
    recursive: true,
    verbatimSymlinks: true,
    // Nested node_modules are packages of their own, copied when the closure lists them.
    filter: (source) => !path.relative(path.join(root, pkg), source).split(path.sep).includes('node_modules'),
  });
}
console.log(`staged ${packages.length} packages in ${path.relative(process.cwd(), target)}`);
