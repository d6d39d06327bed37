import type { ClusterEvent } from '@booking/node/protocol';
import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { clusterEvents } from '../../services/cluster.js';
import { table } from '../../ui/render.js';

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

export default class ClusterEvents extends BaseCommand<typeof ClusterEvents> {
  static override summary = "The cluster's timeline: every node's events in Lamport order.";
  static override description =
    'Merges the events of all running nodes (elections, role changes, commits, catch-ups) and sorts them ' +
    'by (Lamport time, node id): a causally consistent story of what happened.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --since 120',
    '<%= config.bin %> <%= command.id %> --json | jq ".[] | select(.type | startswith(\\"election\\"))"',
  ];
  static override flags = {
    name: nameFlag,
    since: Flags.integer({ summary: 'Only events after this Lamport time.', min: 0 }),
  };

  async run(): Promise<ClusterEvent[]> {
    const events = await clusterEvents(
      this.flags.name,
      this.flags.since === undefined ? {} : { sinceLamport: this.flags.since },
    );
    this.log(
      table(
        ['LAMPORT', 'NODE', 'AT', 'EVENT', 'DETAIL'],
        events.map((e) => [String(e.lamport), `n${e.nodeId}`, e.at, e.type, detailText(e.detail)]),
      ),
    );
    return events;
  }
}
