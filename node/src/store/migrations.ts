/**
 * Schema migrations, applied in order at start. Each has a number; applied numbers are recorded
 * in `schema_migrations`, so a node starts on an empty database or an older one alike.
 * Never edit a released migration: add a new one.
 */
import type { Pool } from 'mysql2/promise';

export const migrations: { id: number; name: string; sql: string[] }[] = [
  {
    id: 1,
    name: 'initial schema',
    sql: [
      `CREATE TABLE meta (k VARCHAR(64) PRIMARY KEY, v VARCHAR(1024) NOT NULL)`,
      // The replicated log. Entry payloads are JSON; an entry's effect is applied in the same
      // transaction that moves meta.applied_index past it, so a crash never half-applies one.
      `CREATE TABLE log_entries (
         idx BIGINT UNSIGNED PRIMARY KEY,
         epoch INT UNSIGNED NOT NULL,
         lamport BIGINT UNSIGNED NOT NULL,
         kind VARCHAR(32) NOT NULL,
         payload LONGTEXT NOT NULL
       )`,
      `CREATE TABLE movies (
         id VARCHAR(64) PRIMARY KEY, title VARCHAR(255) NOT NULL, overview TEXT NOT NULL,
         release_date VARCHAR(10) NOT NULL, runtime_minutes INT NULL, genres TEXT NOT NULL,
         rating DOUBLE NULL, poster_url VARCHAR(512) NULL
       )`,
      `CREATE TABLE theaters (
         id VARCHAR(64) PRIMARY KEY, name VARCHAR(255) NOT NULL, city VARCHAR(255) NOT NULL,
         address VARCHAR(512) NOT NULL
       )`,
      `CREATE TABLE screens (
         id VARCHAR(64) PRIMARY KEY, theater_id VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,
         layout TEXT NOT NULL, seat_count INT NOT NULL, KEY (theater_id)
       )`,
      `CREATE TABLE shows (
         id VARCHAR(64) PRIMARY KEY, movie_id VARCHAR(64) NOT NULL, theater_id VARCHAR(64) NOT NULL,
         screen_id VARCHAR(64) NOT NULL, starts_at VARCHAR(40) NOT NULL, starts_at_ms BIGINT NOT NULL,
         local_date CHAR(10) NOT NULL, price_standard INT NOT NULL, price_premium INT NULL,
         currency CHAR(3) NOT NULL, seats_total INT NOT NULL,
         KEY (movie_id, starts_at_ms), KEY (theater_id, starts_at_ms), KEY (local_date)
       )`,
      `CREATE TABLE holds (
         id VARCHAR(64) PRIMARY KEY, show_id VARCHAR(64) NOT NULL, seat_ids TEXT NOT NULL,
         expires_at_ms BIGINT NOT NULL, state ENUM('active','released','expired','confirmed') NOT NULL,
         commit_index BIGINT UNSIGNED NOT NULL, KEY (state, expires_at_ms)
       )`,
      // The last line of defence against double sales: one row per owned seat, whoever owns it.
      `CREATE TABLE seat_claims (
         show_id VARCHAR(64) NOT NULL, seat_id VARCHAR(8) NOT NULL,
         hold_id VARCHAR(64) NULL, booking_id VARCHAR(64) NULL,
         PRIMARY KEY (show_id, seat_id), KEY (hold_id), KEY (booking_id)
       )`,
      `CREATE TABLE bookings (
         id VARCHAR(64) PRIMARY KEY, code CHAR(16) NOT NULL UNIQUE, show_id VARCHAR(64) NOT NULL,
         seat_ids TEXT NOT NULL, customer_name VARCHAR(255) NOT NULL, customer_email VARCHAR(255) NOT NULL,
         total_cents INT NOT NULL, currency CHAR(3) NOT NULL,
         status ENUM('confirmed','cancelled') NOT NULL, created_at VARCHAR(40) NOT NULL,
         lamport BIGINT UNSIGNED NOT NULL, epoch INT UNSIGNED NOT NULL, commit_index BIGINT UNSIGNED NOT NULL,
         idempotency_key VARCHAR(128) NULL UNIQUE, hold_id VARCHAR(64) NULL, token TEXT NOT NULL,
         KEY (show_id), KEY (hold_id)
       )`,
      `CREATE TABLE events (
         lamport BIGINT UNSIGNED NOT NULL, node_id INT NOT NULL, type VARCHAR(64) NOT NULL,
         at VARCHAR(40) NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (lamport, node_id, type)
       )`,
    ],
  },
  {
    id: 2,
    name: 'request digests of idempotency keys; rejected entries',
    sql: [
      // The digest of the request an idempotency key was first used with: a reuse with other
      // params is refused (IDEMPOTENCY_KEY_REUSED) instead of handing out that booking.
      'ALTER TABLE bookings ADD COLUMN request_hash CHAR(32) NULL',
      // Apply is total: an entry that conflicts with the state at its index is rejected the same
      // way on every node and recorded here. A row is an invariant violation worth an alarm.
      `CREATE TABLE rejected_entries (
         idx BIGINT UNSIGNED PRIMARY KEY, kind VARCHAR(32) NOT NULL, reason VARCHAR(64) NOT NULL,
         detail VARCHAR(255) NOT NULL
       )`,
    ],
  },
  {
    id: 3,
    name: 'drop indexes the write path no longer reads',
    sql: [
      // Every write of a seat claim, a booking and a cancel paid for these; since the state machine
      // moved into memory, rows are found by (show_id, seat_id), id and code only. Fewer indexes
      // are less work for MySQL on every node (docs/performance.md).
      'ALTER TABLE seat_claims DROP INDEX hold_id',
      'ALTER TABLE seat_claims DROP INDEX booking_id',
      'ALTER TABLE bookings DROP INDEX show_id',
      'ALTER TABLE bookings DROP INDEX hold_id',
    ],
  },
];

/** Errors of a DDL step that already ran (a migration interrupted half-way and run again). */
const ALREADY_DONE = new Set([
  'ER_TABLE_EXISTS_ERROR',
  'ER_DUP_FIELDNAME',
  'ER_DUP_KEYNAME',
  'ER_CANT_DROP_FIELD_OR_KEY',
]);

export async function migrate(pool: Pool): Promise<number[]> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(40) NOT NULL)`,
  );
  const [rows] = await pool.query('SELECT id FROM schema_migrations');
  const done = new Set((rows as { id: number }[]).map((r) => r.id));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    // MySQL DDL commits implicitly, so a migration is made of idempotent-on-retry steps run in order;
    // it is marked done only after all of them ran.
    for (const statement of migration.sql) {
      try {
        await pool.query(statement);
      } catch (error) {
        if (!ALREADY_DONE.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
    await pool.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
      migration.id,
      migration.name,
      new Date().toISOString(),
    ]);
    applied.push(migration.id);
  }
  return applied;
}
