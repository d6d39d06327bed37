/**
 * The replicated log's storage in MySQL: the `log_entries` table and the `meta` rows, one
 * transaction per write (store/statements.ts sends it as one round trip). Only the SQL functions
 * of store/ are used; which rows a Ready changes is the driver's business.
 */
import type { Pool } from 'mysql2/promise';
import type { SnapshotPoint } from '../cluster/replication-log.js';
import {
  clusterLogStatements,
  dropSnapshotStaging,
  getMeta,
  installSnapshotStatements,
  metaStatement,
  openStateReader,
  readClusterLog,
  resetSnapshotStaging,
  setMeta,
  snapshotPointMeta,
  snapshotPointOf,
  stageSnapshotRows,
} from '../store/queries.js';
import { type Statement, transact } from '../store/statements.js';
import type { LogStore, LogWrite, SnapshotInstall, SnapshotStaging, StoredLog, Vote } from './log-store.js';

const voteMeta = (v: Vote) => ({
  epoch: v.epoch,
  promised_epoch: v.promisedEpoch,
  promised_to: v.promisedTo ?? '',
});

export class MysqlLogStore<C> implements LogStore<C, Statement> {
  readonly staging: SnapshotStaging;

  constructor(
    private readonly pool: Pool,
    /** Multi-statement pool for the one-round-trip transactions of the write path. */
    private readonly writePool: Pool,
  ) {
    this.staging = {
      reset: () => resetSnapshotStaging(pool),
      stage: (table, columns, rows) => stageSnapshotRows(pool, table, columns, rows),
      drop: () => dropSnapshotStaging(pool),
    };
  }

  async load(): Promise<StoredLog<C>> {
    const meta = await getMeta(this.pool);
    const num = (k: string) => Number(meta.get(k) ?? 0);
    // The stored log starts after the snapshot point; the state tables cover everything up to it.
    const snapshot = snapshotPointOf(meta);
    const log = await readClusterLog<C>(this.pool, (snapshot?.index ?? 0) + 1);
    const promisedTo = meta.get('promised_to');
    return {
      vote: {
        epoch: num('epoch'),
        promisedEpoch: num('promised_epoch'),
        promisedTo: promisedTo === undefined || promisedTo === '' ? null : Number(promisedTo),
      },
      commitIndex: num('commit_index'),
      lamport: num('lamport'),
      ...(snapshot ? { snapshot } : {}),
      log,
    };
  }

  write(w: LogWrite<C, Statement>): Promise<void> {
    return transact(
      this.writePool,
      [
        ...(w.log ? clusterLogStatements({ ...w.log, append: [...w.log.append] }) : []),
        ...(w.effects ?? []),
        metaStatement({
          ...(w.vote ? voteMeta(w.vote) : {}),
          ...(w.commitIndex !== undefined ? { commit_index: w.commitIndex } : {}),
          ...(w.lamport !== undefined ? { lamport: w.lamport } : {}),
          ...(w.appliedIndex !== undefined ? { applied_index: w.appliedIndex } : {}),
          // The log's new start, with the deletion of the entries before it (clusterLogStatements).
          ...(w.log?.base ? snapshotPointMeta(w.log.base as SnapshotPoint) : {}),
        }),
      ].filter((s): s is Statement => s !== null),
    );
  }

  saveLamport(time: number): Promise<void> {
    return setMeta(this.pool, { lamport: time });
  }

  openStateReader() {
    return openStateReader(this.pool);
  }

  installSnapshot(s: SnapshotInstall): Promise<void> {
    return transact(
      this.writePool,
      installSnapshotStatements({
        point: s.point,
        keepAfter: s.keepAfter,
        meta: {
          applied_index: s.point.index,
          commit_index: s.commitIndex,
          ...voteMeta(s.vote),
          lamport: s.lamport,
        },
      }),
    );
  }
}
