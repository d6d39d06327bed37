/**
 * A transaction as one round trip: its statements formatted (every value escaped by mysql2's
 * `format`) and sent as one multi-statement query between START TRANSACTION and COMMIT. On a busy
 * machine every round trip to MySQL waits for a scheduler slice; a batch of log entries and their
 * effects used to take eight of them. Only the write path uses this, on its own small pool.
 */
import { format } from 'mysql2';
import type { Pool } from 'mysql2/promise';

export interface Statement {
  sql: string;
  values: readonly unknown[];
}

/** Above this the statements run one by one in a classic transaction (max_allowed_packet is 16 MiB). */
const ONE_TRIP_MAX_BYTES = 4 << 20;

export async function transact(pool: Pool, statements: readonly Statement[]): Promise<void> {
  if (statements.length === 0) return;
  const conn = await pool.getConnection();
  try {
    const parts = statements.map((s) => format(s.sql, s.values as Parameters<typeof format>[1]));
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    if (bytes <= ONE_TRIP_MAX_BYTES) {
      await conn.query(`START TRANSACTION;\n${parts.join(';\n')};\nCOMMIT`);
    } else {
      await conn.query('START TRANSACTION');
      for (const part of parts) await conn.query(part);
      await conn.query('COMMIT');
    }
  } catch (error) {
    // A failed statement stops the rest of the query; the transaction is still open.
    await conn.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    conn.release();
  }
}
