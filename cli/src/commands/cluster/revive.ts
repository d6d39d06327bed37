import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { reviveNode } from '../../services/cluster.js';
import type { StatusView } from '../../services/observe.js';
import { renderStatus } from '../../ui/render.js';

export default class ClusterRevive extends BaseCommand<typeof ClusterRevive> {
  static override summary = 'Bring a killed or paused node back, and wait until it has caught up.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --node 3',
    '<%= config.bin %> <%= command.id %> --node 3 --json',
  ];
  static override flags = {
    name: nameFlag,
    node: Flags.integer({ summary: 'The node to restart (or resume).', required: true, min: 1 }),
  };

  async run(): Promise<StatusView> {
    const view = await reviveNode(this.flags.name, this.flags.node, this.progress);
    this.endProgress();
    this.log(renderStatus(view));
    return view;
  }
}
