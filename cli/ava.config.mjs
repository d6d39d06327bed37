// The default cli suite (part of `npm test`). The Docker suite has its own config: it builds
// images and runs seven containers, so it runs on its own, after the others.
//
// Tests run the sources: tsx, and the `development` export condition so @booking/node/* resolves
// to node/src, here and (NODE_OPTIONS) in every process a test starts. Tests are scripts:
// BOOKING_YES answers `cluster stop --purge`'s question (commands.test.ts checks the refusal).
export const base = {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx', '--conditions=development'],
  environmentVariables: { NODE_OPTIONS: '--conditions=development', BOOKING_YES: '1' },
  timeout: '5m',
  workerThreads: false,
};

export default { ...base, files: ['test/**/*.test.ts', '!test/docker/**'] };
