#!/usr/bin/env node
// Runs the node from its TypeScript sources through tsx: no build step to forget or go stale.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main();
