#!/usr/bin/env node
// The `booking` CLI from its TypeScript sources (tsx), for development and the tests: no build
// needed, nothing stale. @booking/node/* come from their sources too (the `development` export
// condition), here and in every process this one starts, such as the local driver's nodes.
import { execute } from '@oclif/core';
import { sourceConfig, useSources } from './dev-config.js';
import { onClosedStdout } from './stdout.js';

useSources();
onClosedStdout();
await execute({ dir: import.meta.url, loadOptions: await sourceConfig() });
