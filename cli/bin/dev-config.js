// The oclif Config of the CLI's sources: commands from src/commands (through tsx) and no
// manifest, since the one `npm run build` writes describes dist/. Used by bin/dev.js and by the
// command reference generator (scripts/cli-docs.mjs).
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { Config, Plugin } from '@oclif/core';
import { register as registerTsx } from 'tsx/esm/api';

const CONDITION = '--conditions=development';

/** Sources everywhere: this process (a resolve hook) and what it starts (NODE_OPTIONS). */
export function useSources() {
  if (!(process.env.NODE_OPTIONS ?? '').includes(CONDITION)) {
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${CONDITION}`.trim();
  }
  register('./development-condition.js', import.meta.url);
  registerTsx();
}

export async function sourceConfig() {
  const root = new URL('..', import.meta.url).pathname;
  const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  pjson.oclif.commands.target = './src/commands';
  const rootPlugin = new Plugin({ root, isRoot: true, pjson, ignoreManifest: true });
  await rootPlugin.load();
  const config = await Config.load({ root, plugins: new Map([[rootPlugin.name, rootPlugin]]) });
  // Provided plugins skip oclif.plugins (not-found, autocomplete): load them as well.
  await config.loadPluginsAndCommands({ force: true });
  return config;
}
