import { BaseCommand, nameFlag } from '../../base-command.js';
import { clusterStatus } from '../../services/cluster.js';
import type { StatusView } from '../../services/observe.js';
import { renderStatus } from '../../ui/render.js';

export default class ClusterStatus extends BaseCommand<typeof ClusterStatus> {
  static override summary = 'Show the nodes of a cluster: role, liveness, commit index, Lamport time.';
  static override description =
    'Asks every running node for its own view (cluster.status) and shows the master a majority agrees on.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name demo',
    '<%= config.bin %> <%= command.id %> --json | jq ".nodes[] | select(.alive)"',
  ];
  static override flags = { name: nameFlag };

  async run(): Promise<StatusView> {
    const view = await clusterStatus(this.flags.name);
    this.log(renderStatus(view));
    return view;
  }
}
