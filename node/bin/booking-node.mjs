#!/usr/bin/env node
// Starts one booking node. Outside development it runs the compiled node/dist (`npm run build`).
// With the `development` export condition (tests, `npm run dev`, the CLI's bin/dev.js, which
// pass it on in NODE_OPTIONS) the same bin runs the TypeScript sources through tsx instead.
const main = import.meta.resolve('@booking/node/main');
if (main.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
let mod;
try {
  mod = await import(main);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes('/dist/')) {
    process.stderr.write(`booking-node: ${main} is missing; build it first: npm run build\n`);
    process.exit(1);
  }
  throw error;
}
await mod.main();
