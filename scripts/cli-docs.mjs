#!/usr/bin/env node
// Writes the command reference into docs/cli.md, between <!-- commands --> and
// <!-- commandsstop --> (the markers `oclif readme` uses), from the CLI's sources: each command's
// own --help text, so the page can only say what the CLI says.
//
//   npm run docs:cli                  rewrite the reference
//   node scripts/cli-docs.mjs --check exit 1 if docs/cli.md is out of date (a test runs this)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const page = path.join(root, 'docs/cli.md');
const START = '<!-- commands -->';
const STOP = '<!-- commandsstop -->';

// Help text must not depend on who runs this: fixed width, no colour, no BOOKING_* defaults.
process.env.OCLIF_COLUMNS = '100';
process.env.NO_COLOR = '1';
for (const key of Object.keys(process.env)) if (key.startsWith('BOOKING_')) delete process.env[key];

const { sourceConfig, useSources } = await import('../cli/bin/dev-config.js');
useSources();
const { Help } = await import('@oclif/core');
const config = await sourceConfig();
const help = new Help(config, { stripAnsi: true });
const ours = config.commands
  .filter((c) => c.pluginName === config.name && !c.hidden)
  .sort((a, b) => a.id.localeCompare(b.id));

const sections = [];
for (const loadable of ours) {
  const id = loadable.id.replaceAll(':', ' ');
  const text = help
    .formatCommand(loadable)
    .replace(/[ \t]+$/gm, '')
    .trimEnd();
  sections.push(
    `### \`booking ${id}\`\n\n${loadable.summary ?? loadable.description?.split('\n')[0] ?? ''}\n\n\`\`\`\n${text}\n\`\`\``,
  );
}
const reference = `${START}\n${sections.join('\n\n')}\n${STOP}`;

const current = readFileSync(page, 'utf8');
const from = current.indexOf(START);
const to = current.indexOf(STOP);
if (from < 0 || to < from) {
  console.error(`docs/cli.md: no ${START} ... ${STOP} markers`);
  process.exit(1);
}
const next = current.slice(0, from) + reference + current.slice(to + STOP.length);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/cli.md is out of date with the CLI: run npm run docs:cli');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(page, next);
  console.log(`docs/cli.md: ${ours.length} commands`);
}
