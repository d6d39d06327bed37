/**
 * Catalog imports as writes: fetch (or load the bundled recording), then one `catalog.import`
 * log entry carries the snapshot to every node.
 */
import { JSONRPCErrorException } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { CatalogImportError } from './catalog/importer.js';
import { importCatalog } from './catalog/index.js';
import type { CatalogSnapshot, SkippedRecord } from './catalog/model.js';
import type { WriteLog } from './log/write-log.js';
import { rpcErrorCodes } from './protocol/errors.js';
import type { ValidParamsOf } from './protocol/methods.js';
import type { ImportReport } from './protocol/model.js';

/** JSON-RPC's range for implementation-defined server errors (-32000 to -32099). */
export const IMPORT_FAILED = -32001;

export async function runCatalogImport(
  params: Partial<ValidParamsOf<'admin.importCatalog'>>,
  log: WriteLog,
  logger: Logger,
  bundled: (days: number) => CatalogSnapshot | Promise<CatalogSnapshot>,
): Promise<ImportReport> {
  const days = params.days ?? 7;
  let result: { snapshot: CatalogSnapshot; skipped: SkippedRecord[] };
  if ((params.source ?? 'bundled') === 'bundled') {
    result = { snapshot: await bundled(days), skipped: [] };
  } else {
    if (!params.tmdbUrl || !params.showtimesUrl) {
      throw new JSONRPCErrorException(
        'Invalid params: source tmdb needs tmdbUrl and showtimesUrl',
        rpcErrorCodes.INVALID_PARAMS,
        { field: params.tmdbUrl ? 'showtimesUrl' : 'tmdbUrl' },
      );
    }
    try {
      result = await importCatalog({
        tmdbUrl: params.tmdbUrl,
        tmdbKey: params.tmdbKey ?? '',
        showtimesUrl: params.showtimesUrl,
        now: new Date(),
        days,
        onProgress: (p: unknown) => logger.info({ progress: p }, 'catalog import'),
      });
    } catch (error) {
      // The source failed, not this node: say why (the importer never echoes the key) in the
      // implementation-defined server-error range, and leave the catalog as it was.
      if (error instanceof CatalogImportError) {
        throw new JSONRPCErrorException(`catalog import failed: ${error.message}`, IMPORT_FAILED, {
          kind: error.kind,
          ...(error.status !== undefined ? { status: error.status } : {}),
        });
      }
      throw error;
    }
  }
  await log.propose({ kind: 'catalog.import', snapshot: result.snapshot });
  return {
    movies: result.snapshot.movies.length,
    theaters: result.snapshot.theaters.length,
    shows: result.snapshot.shows.length,
    skipped: result.skipped,
  };
}
