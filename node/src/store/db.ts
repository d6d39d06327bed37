/** Connecting to MySQL: split the URL, create the node's database if missing, open a pool. */
import mysql, { type Pool } from 'mysql2/promise';

export interface DbTarget {
  serverUrl: string;
  database: string;
}

export function splitMysqlUrl(url: string): DbTarget {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`invalid database name in ${url}`);
  parsed.pathname = '/';
  return { serverUrl: parsed.toString().replace(/\/$/, ''), database };
}

/**
 * Creates the database if needed and returns a pool bound to it. `multipleStatements` is for the
 * write path's one-round-trip transactions only (store/statements.ts), never for reads.
 */
export async function openDatabase(
  url: string,
  connectionLimit = 16,
  multipleStatements = false,
): Promise<Pool> {
  const { serverUrl, database } = splitMysqlUrl(url);
  const admin = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5000 });
  try {
    await admin.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await admin.end();
  }
  return mysql.createPool({
    uri: `${serverUrl}/${database}`,
    connectionLimit,
    waitForConnections: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    multipleStatements,
    charset: 'utf8mb4',
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const { serverUrl, database } = splitMysqlUrl(url);
  const admin = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5000 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await admin.end();
  }
}
