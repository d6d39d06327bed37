import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { getDriver } from '../../services/drivers/index.js';
import { formatLogLine, parseLogLine } from '../../services/log-format.js';
import { loadState, nodeOf } from '../../services/state.js';

export default class ClusterLogs extends BaseCommand<typeof ClusterLogs> {
  static override summary = 'Show node logs (all nodes interleaved, or one).';
  static override description =
    'Human output pretty-prints each node log line; --json prints one JSON object per line ' +
    '({nodeId, ...the node log record}), suitable for jq.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --node 2 --follow',
    '<%= config.bin %> <%= command.id %> --json | jq -c "select(.level >= 40)"',
  ];
  static override flags = {
    name: nameFlag,
    node: Flags.integer({ summary: 'Only this node.', min: 1 }),
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new lines until Ctrl-C.' }),
  };

  async run(): Promise<void> {
    const state = await loadState(this.flags.name);
    if (this.flags.node !== undefined) nodeOf(state, this.flags.node);
    const driver = await getDriver(state.driver);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const lines = driver.logs(state, {
        ...(this.flags.node === undefined ? {} : { nodeId: this.flags.node }),
        follow: this.flags.follow,
        signal: controller.signal,
      });
      for await (const raw of lines) {
        const line = parseLogLine(raw);
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(line.record)}\n`);
        else process.stdout.write(`${formatLogLine(line)}\n`);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}
