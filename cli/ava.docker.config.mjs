// `npm run test:docker`: the Docker driver end to end (see docs/docker.md).
import { base } from './ava.config.mjs';

export default { ...base, files: ['test/docker/**/*.test.ts'], timeout: '20m', concurrency: 1 };
