import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { type KillResult, killNode } from '../../services/cluster.js';
import { formatMs } from '../../services/duration.js';

export default class ClusterKill extends BaseCommand<typeof ClusterKill> {
  static override summary = 'Kill (or pause) a node, and time the failover.';
  static override description =
    'Sends SIGKILL (docker kill), or SIGSTOP (docker pause) with --pause, to the master or a given node, ' +
    'then waits until a majority agrees on a new master and reports how long that took.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --master',
    '<%= config.bin %> <%= command.id %> --node 2',
    '<%= config.bin %> <%= command.id %> --master --pause',
    '<%= config.bin %> <%= command.id %> --master --json | jq .failoverMs',
  ];
  static override flags = {
    name: nameFlag,
    master: Flags.boolean({
      summary: 'Kill whichever node is the master now.',
      exactlyOne: ['master', 'node'],
    }),
    node: Flags.integer({ summary: 'Kill this node id.', min: 1, exactlyOne: ['master', 'node'] }),
    pause: Flags.boolean({
      summary: 'Pause (SIGSTOP / docker pause) instead of killing: a frozen, not a dead, node.',
    }),
    wait: Flags.boolean({
      summary: 'Wait for the new master (--no-wait returns at once).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<KillResult> {
    const f = this.flags;
    const target = f.master ? ({ master: true } as const) : { nodeId: f.node! };
    const result = await killNode(
      f.name,
      target,
      { pause: f.pause, wait: f.wait },
      this.progress,
      this.warnLine,
    );
    this.endProgress();
    const verb = f.pause ? 'Paused' : 'Killed';
    const was = result.killed === result.previousMasterId ? ' (the master)' : '';
    this.log(`${verb} node ${result.killed}${was}.`);
    if (result.failoverMs !== null && result.newMasterId !== null) {
      this.log(`Node ${result.newMasterId} took over as master after ${formatMs(result.failoverMs)}.`);
    } else if (result.newMasterId !== null) {
      this.log(`Node ${result.newMasterId} is still the master.`);
    } else if (!f.wait) {
      this.log('Not waiting for the failover (--no-wait): see booking cluster status.');
    }
    return result;
  }
}
