#!/usr/bin/env node
// The `booking` CLI as shipped: compiled commands from dist/ and oclif.manifest.json (`npm run
// build`), so `booking --help` loads no command module at all. bin/dev.js runs the sources.
import { execute } from '@oclif/core';
import { onClosedStdout } from './stdout.js';

onClosedStdout();
await execute({ dir: import.meta.url });
