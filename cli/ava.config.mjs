// The default cli suite (part of `npm test`). The Docker suite has its own config: it builds
// images and runs seven containers, so it runs on its own, after the others.
export const base = {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  timeout: '5m',
  workerThreads: false,
};

export default { ...base, files: ['test/**/*.test.ts', '!test/docker/**'] };
