// The browser suite (`npm run test:browser`): real Chromium against a real cluster behind Nginx.
// Each test file starts its own cluster, so files run side by side and tests inside one serially.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  files: ['test/browser/**/*.test.ts'],
  timeout: '3m',
  workerThreads: false,
};
