import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { startCluster, stopCluster } from '../../services/cluster.js';
import { driverNames } from '../../services/drivers/index.js';
import { formatMs, parseDuration } from '../../services/duration.js';
import { DEFAULT_MYSQL_URL, normalizeServerUrl } from '../../services/mysql.js';
import type { StatusView } from '../../services/observe.js';
import { validateClusterName } from '../../services/state.js';
import { renderStatus } from '../../ui/render.js';

const duration = Flags.custom<number>({
  parse: async (input) => parseDuration(input),
});

export default class ClusterStart extends BaseCommand<typeof ClusterStart> {
  static override summary = 'Start a cluster: MySQL if needed, N booking nodes and Nginx.';
  static override description =
    'Starts the nodes (local processes or Docker containers) and a private Nginx in front of them, ' +
    'then waits until every node agrees on an elected master and Nginx answers. ' +
    'Starting a cluster that already runs is an error; a stopped cluster restarts with its data and secrets.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --nodes 5 --port 9090 --name demo',
    '<%= config.bin %> <%= command.id %> --driver docker',
    '<%= config.bin %> <%= command.id %> --mysql-url mysql://booking:secret@db.internal:3306 --hold-ttl 2m',
    '<%= config.bin %> <%= command.id %> --json | jq .masterId',
  ];
  static override flags = {
    name: nameFlag,
    nodes: Flags.integer({ summary: 'Number of booking nodes.', default: 3, min: 1, max: 15 }),
    driver: Flags.string({
      summary: 'Where the nodes run.',
      options: [...driverNames],
      default: 'local',
    }),
    port: Flags.integer({
      char: 'p',
      summary: 'Nginx port on 127.0.0.1 (the web app and ws://localhost:<port>/rpc).',
      default: 8080,
      min: 1,
      max: 65535,
    }),
    'mysql-url': Flags.string({
      summary: 'MySQL server for the local driver (no database: each node gets booking_<name>_n<id>).',
      default: DEFAULT_MYSQL_URL,
    }),
    'hold-ttl': duration({
      summary: 'How long a seat hold lasts (300000, 90s, 5m).',
      default: 300_000,
      defaultHelp: async () => '5m',
    }),
    catalog: Flags.string({
      summary: 'Catalog an empty cluster loads.',
      options: ['bundled', 'none'],
      default: 'bundled',
    }),
    heartbeat: duration({ summary: 'Master heartbeat interval (node default 50ms).', hidden: true }),
    'failure-timeout': duration({
      summary: 'Silence after which a node suspects the master (node default 300ms).',
      hidden: true,
    }),
    'election-timeout': duration({
      summary: 'How long to wait for the first election.',
      default: 60_000,
      hidden: true,
    }),
  };

  async run(): Promise<StatusView> {
    const f = this.flags;
    const name = validateClusterName(f.name);
    const started = Date.now();
    // Ctrl-C half-way must not leave nodes behind. The driver stops what it started when the
    // signal aborts; once the start has given up (or after 15 s), a stop pass from the saved
    // state catches anything it had already handed over, then exit 130.
    const abort = new AbortController();
    let starting: Promise<unknown> = Promise.resolve();
    const interrupted = async () => {
      this.endProgress('interrupted');
      process.stderr.write(`Interrupted: stopping what was started of cluster "${name}"...\n`);
      abort.abort();
      await Promise.race([starting.catch(() => {}), new Promise((r) => setTimeout(r, 15_000))]);
      await stopCluster(name, { purge: false }, () => {}).catch(() => {});
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    starting = startCluster(
      {
        name,
        nodes: f.nodes,
        driver: f.driver as 'local' | 'docker',
        port: f.port,
        mysqlUrl: normalizeServerUrl(f['mysql-url']),
        holdTtlMs: f['hold-ttl'],
        catalog: f.catalog as 'bundled' | 'none',
        ...(f.heartbeat ? { heartbeatMs: f.heartbeat } : {}),
        ...(f['failure-timeout'] ? { failureTimeoutMs: f['failure-timeout'] } : {}),
      },
      this.progress,
      { electionTimeoutMs: f['election-timeout'], warn: this.warnLine, signal: abort.signal },
    );
    const view = await (starting as Promise<StatusView>).catch(async (error: unknown) => {
      // Interrupted: the handler above finishes the clean-up and exits 130.
      if (abort.signal.aborted) await new Promise(() => {});
      throw error;
    });
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    this.endProgress();
    this.log(renderStatus(view));
    this.log('');
    this.log(
      `Ready in ${formatMs(Date.now() - started)}: open ${view.url}  (clients: ws://localhost:${f.port}/rpc)`,
    );
    this.log(
      `Kill the master with: booking cluster kill --master${name === 'default' ? '' : ` --name ${name}`}`,
    );
    return view;
  }
}
