import { Flags } from '@oclif/core';
import { BaseCommand, nameFlag } from '../../base-command.js';
import { importCatalog } from '../../services/cluster.js';
import { CliError, exitCodes } from '../../services/errors.js';

export default class CatalogImport extends BaseCommand<typeof CatalogImport> {
  static override summary = 'Import movies, theaters and shows into a running cluster, through its master.';
  static override description =
    'The bundled source is the recorded offline catalog. The tmdb source fetches movies from a ' +
    'TMDB-compatible API and theaters and showtimes from a MovieGlu-shaped source; bad records are ' +
    'skipped and reported. The import is one replicated write: every node gets the same catalog.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --source tmdb --tmdb-url https://api.themoviedb.org --tmdb-key $TMDB_API_KEY --showtimes-url https://showtimes.example',
  ];
  static override flags = {
    name: nameFlag,
    source: Flags.string({
      summary: 'Where the catalog comes from.',
      options: ['bundled', 'tmdb'],
      default: 'bundled',
    }),
    'tmdb-url': Flags.string({ summary: 'TMDB-compatible base URL (source tmdb).' }),
    'tmdb-key': Flags.string({ summary: 'TMDB API key (source tmdb).', env: 'TMDB_API_KEY' }),
    'showtimes-url': Flags.string({ summary: 'MovieGlu-shaped showtimes base URL (source tmdb).' }),
    days: Flags.integer({ summary: 'Days of shows to import.', min: 1, max: 14 }),
  };

  async run(): Promise<{ movies: number; theaters: number; shows: number }> {
    const f = this.flags;
    if (f.source === 'tmdb' && (!f['tmdb-url'] || !f['showtimes-url'])) {
      throw new CliError(
        '--source tmdb needs --tmdb-url and --showtimes-url',
        'see: booking catalog import --help',
        exitCodes.usage,
      );
    }
    const report = await importCatalog(
      f.name,
      {
        source: f.source as 'bundled' | 'tmdb',
        ...(f['tmdb-url'] ? { tmdbUrl: f['tmdb-url'] } : {}),
        ...(f['tmdb-key'] ? { tmdbKey: f['tmdb-key'] } : {}),
        ...(f['showtimes-url'] ? { showtimesUrl: f['showtimes-url'] } : {}),
        ...(f.days ? { days: f.days } : {}),
      },
      this.progress,
    );
    this.endProgress();
    for (const skipped of report.skipped) {
      this.warnLine(`skipped ${skipped.source} record ${skipped.id ?? '(no id)'}: ${skipped.error}`);
    }
    this.log(`Imported ${report.movies} movies, ${report.theaters} theaters, ${report.shows} shows.`);
    return { movies: report.movies, theaters: report.theaters, shows: report.shows };
  }
}
