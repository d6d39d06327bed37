import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { stopCluster } from '../../services/cluster.js';
import { CliError, exitCodes } from '../../services/errors.js';

export default class ClusterStop extends BaseCommand<typeof ClusterStop> {
  static override summary = 'Stop every node and Nginx of a cluster.';
  static override description =
    'Leaves no process and no listening port behind. The data (MySQL databases or Docker volumes) and ' +
    'the secrets stay, so `cluster start` brings the same cluster back; --purge deletes them too. ' +
    '--purge asks first on a terminal; elsewhere (scripts, CI) it needs --yes (or BOOKING_YES=1).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name demo --purge',
    '<%= config.bin %> <%= command.id %> --name demo --purge --yes --json',
  ];
  static override flags = {
    name: nameFlag,
    purge: Flags.boolean({ summary: 'Also drop the databases (volumes) and the state folder.' }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'Do not ask before --purge drops the data.',
      env: 'BOOKING_YES',
    }),
  };

  async run(): Promise<{ stopped: true }> {
    if (this.flags.purge && !this.flags.yes) await this.confirmPurge();
    const result = await stopCluster(this.flags.name, { purge: this.flags.purge }, this.progress);
    this.endProgress();
    this.log(`Cluster ${this.flags.name} stopped${this.flags.purge ? ' and purged' : ''}.`);
    return result;
  }

  /** Dropping every booking is not undone: a person confirms it, a script says --yes. */
  private async confirmPurge(): Promise<void> {
    const name = this.flags.name;
    const command = `booking cluster stop --name ${name} --purge --yes`;
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new CliError(
        `--purge drops every database and the state of cluster "${name}" and nothing asks here (no terminal)`,
        `confirm it with --yes: ${command}`,
        exitCodes.usage,
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`Drop the databases and the state of cluster "${name}"? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        throw new CliError(
          'nothing stopped: --purge was not confirmed',
          `to skip the question: ${command}`,
          exitCodes.usage,
        );
      }
    } finally {
      rl.close();
    }
  }
}
