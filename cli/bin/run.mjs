#!/usr/bin/env node
// Runs the CLI from its TypeScript sources through tsx: no build step to forget or go stale.
import { register } from 'tsx/esm/api';

register();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
