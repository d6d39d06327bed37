import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { stopCluster } from '../../services/cluster.js';

export default class ClusterStop extends BaseCommand<typeof ClusterStop> {
  static override summary = 'Stop every node and Nginx of a cluster.';
  static override description =
    'Leaves no process and no listening port behind. The data (MySQL databases or Docker volumes) and ' +
    'the secrets stay, so `cluster start` brings the same cluster back; --purge deletes them too.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name demo --purge',
  ];
  static override flags = {
    name: nameFlag,
    purge: Flags.boolean({ summary: 'Also drop the databases (volumes) and the state folder.' }),
  };

  async run(): Promise<{ stopped: true }> {
    const result = await stopCluster(this.flags.name, { purge: this.flags.purge }, this.progress);
    this.endProgress();
    this.log(`Cluster ${this.flags.name} stopped${this.flags.purge ? ' and purged' : ''}.`);
    return result;
  }
}
