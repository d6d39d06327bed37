/** The catalog: adapters from upstream shapes, the bundled offline recording and the HTTP import. */
export {
  type AdaptedCatalog,
  adaptRecording,
  BUNDLED_DIR,
  loadBundledCatalog,
  loadBundledScreens,
  type Recording,
  readRecording,
} from './bundled.js';
export {
  CatalogImportError,
  type ImportErrorKind,
  type ImportOptions,
  type ImportPhase,
  type ImportProgress,
  type ImportResult,
  importCatalog,
} from './importer.js';
export type {
  CatalogMovie,
  CatalogScreen,
  CatalogShow,
  CatalogSnapshot,
  CatalogTheater,
  SkippedRecord,
} from './model.js';
export {
  firstShowDate,
  type RebaseOptions,
  rebaseShows,
  rebaseSnapshot,
  type TimeZoneOf,
  timeZoneLookup,
  type WindowOptions,
  windowShows,
} from './rebase.js';
export {
  adaptShowtimes,
  DEFAULT_LAYOUT,
  DEFAULT_VENUE,
  priceAt,
  ScreensFile,
  type ShowtimesInput,
  type ShowtimesOutput,
  type ShowtimesPage,
  screenId,
  seatCount,
  showId,
  theaterId,
  type Venue,
} from './showtimes.js';
export { localDate, zonedIso } from './time.js';
export {
  adaptTmdb,
  type DetailsResult,
  describeZodError,
  type TmdbInput,
  type TmdbOutput,
  UpstreamShapeError,
} from './tmdb.js';
