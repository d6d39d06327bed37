/**
 * Catalog imports as writes: fetch (or load the bundled recording), then split the snapshot into
 * bounded parts, each one `catalog.import` log entry, proposed in order. No entry carries more
 * than IMPORT_ENTRY_MAX_ITEMS records, so no single entry, catch-up batch or apply transaction
 * grows with the catalog. Fetching is confined by the node's import policy (url-policy.ts).
 */
import { JSONRPCErrorException } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { CatalogImportError } from './catalog/importer.js';
import { importCatalog } from './catalog/index.js';
import type { CatalogSnapshot, CatalogTheater, SkippedRecord } from './catalog/model.js';
import { checkUrl, UrlRefused } from './catalog/url-policy.js';
import type { CatalogImportPolicy } from './config.js';
import { type Limits, processLimits } from './limits.js';
import { rpcErrorCodes } from './protocol/errors.js';
import type { ValidParamsOf } from './protocol/methods.js';
import type { ImportReport } from './protocol/model.js';

/** JSON-RPC's range for implementation-defined server errors (-32000 to -32099). */
export const IMPORT_FAILED = -32001;

/** What a node fetches from when its configuration says nothing: public HTTPS hosts only. */
export const DEFAULT_IMPORT_POLICY: CatalogImportPolicy = {
  schemes: ['https'],
  hosts: ['*'],
  allowPrivate: false,
};

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Splits a snapshot into parts of at most `maxItems` records each. Applied in order they give what
 * the whole snapshot gives: theaters first, then shows, each part of shows carrying again the
 * theaters its shows are in (upserts: repeating one changes nothing, and the seat counts of its
 * shows come from their screens), movies last, so a catalog with movies is a complete one.
 */
export function splitSnapshot(snapshot: CatalogSnapshot, maxItems: number): CatalogSnapshot[] {
  const size = Math.max(1, Math.floor(maxItems));
  const parts: CatalogSnapshot[] = [];
  for (const theaters of chunks(snapshot.theaters, size)) parts.push({ movies: [], theaters, shows: [] });
  const theaterOf = new Map<string, CatalogTheater>(snapshot.theaters.map((t) => [t.id, t]));
  for (const shows of chunks(snapshot.shows, size)) {
    const theaters = [...new Set(shows.map((s) => s.theaterId))]
      .map((id) => theaterOf.get(id))
      .filter((t): t is CatalogTheater => t !== undefined);
    parts.push({ movies: [], theaters, shows });
  }
  for (const movies of chunks(snapshot.movies, size)) parts.push({ movies, theaters: [], shows: [] });
  return parts.length > 0 ? parts : [{ movies: [], theaters: [], shows: [] }];
}

function refusedParam(field: 'tmdbUrl' | 'showtimesUrl', error: UrlRefused): never {
  throw new JSONRPCErrorException(
    `Invalid params: ${field}: ${error.message}`,
    rpcErrorCodes.INVALID_PARAMS,
    {
      field,
    },
  );
}

export async function runCatalogImport(
  params: Partial<ValidParamsOf<'admin.importCatalog'>>,
  /** Proposes the parts as `catalog.import` entries, in order, and resolves once they are applied. */
  propose: (parts: readonly CatalogSnapshot[]) => Promise<void>,
  logger: Logger,
  bundled: (days: number) => CatalogSnapshot | Promise<CatalogSnapshot>,
  policy: CatalogImportPolicy = DEFAULT_IMPORT_POLICY,
  limits: Limits = processLimits(),
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
    // The given URLs are checked before anything is fetched; redirects and every later request
    // are checked again inside the importer.
    for (const field of ['tmdbUrl', 'showtimesUrl'] as const) {
      try {
        await checkUrl(params[field]!, policy);
      } catch (error) {
        if (error instanceof UrlRefused) refusedParam(field, error);
        throw error;
      }
    }
    try {
      result = await importCatalog({
        tmdbUrl: params.tmdbUrl,
        tmdbKey: params.tmdbKey ?? '',
        showtimesUrl: params.showtimesUrl,
        now: new Date(),
        days,
        urlPolicy: policy,
        maxResponseBytes: limits.IMPORT_MAX_RESPONSE_BYTES,
        maxRedirects: limits.IMPORT_MAX_REDIRECTS,
        timeoutMs: limits.IMPORT_TIMEOUT_MS,
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
  await propose(splitSnapshot(result.snapshot, limits.IMPORT_ENTRY_MAX_ITEMS));
  return {
    movies: result.snapshot.movies.length,
    theaters: result.snapshot.theaters.length,
    shows: result.snapshot.shows.length,
    skipped: result.skipped,
  };
}
