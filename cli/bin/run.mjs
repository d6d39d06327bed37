#!/usr/bin/env node
// Runs the CLI from its TypeScript sources through tsx: no build step to forget or go stale.
import { register } from 'tsx/esm/api';

// `booking cluster logs --follow | head`: a reader that went away is the end, not a crash.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

register();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
