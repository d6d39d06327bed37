/**
 * A poster for movies without `posterUrl`: an SVG drawn from the title and genres, so the grid
 * never shows broken images and never loads anything from outside.
 */
const genreHues: Record<string, number> = {
  action: 8,
  adventure: 28,
  animation: 48,
  comedy: 52,
  crime: 350,
  documentary: 160,
  drama: 265,
  family: 95,
  fantasy: 285,
  history: 35,
  horror: 0,
  music: 320,
  mystery: 240,
  romance: 335,
  'science fiction': 200,
  thriller: 215,
  war: 70,
  western: 25,
};

export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function posterHues(title: string, genres: string[]): [number, number] {
  const known = genres.map((g) => genreHues[g.toLowerCase()]).filter((h): h is number => h !== undefined);
  const seed = hashString(title);
  const a = known[0] ?? seed % 360;
  const b = known[1] ?? (a + 40 + (seed % 80)) % 360;
  return [a, b];
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** Splits a title into at most four lines of about `width` characters. */
export function wrapTitle(title: string, width = 14): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(/\s+/).filter(Boolean)) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > 4) return [...lines.slice(0, 3), `${lines[3]}…`];
  return lines;
}

export function posterSvg(title: string, genres: string[]): string {
  const [a, b] = posterHues(title, genres);
  const lines = wrapTitle(title);
  const y0 = 150 - (lines.length - 1) * 14;
  const text = lines.map((line, i) => `<text x="100" y="${y0 + i * 28}">${escapeXml(line)}</text>`).join('');
  const genre = escapeXml(genres.slice(0, 2).join(' · ').toUpperCase());
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 300">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="hsl(${a} 65% 38%)"/><stop offset="1" stop-color="hsl(${b} 70% 18%)"/>` +
    `</linearGradient></defs><rect width="200" height="300" fill="url(#g)"/>` +
    `<circle cx="160" cy="50" r="70" fill="hsl(${b} 80% 70%)" opacity=".15"/>` +
    `<g fill="#fff" font-family="system-ui,sans-serif" font-size="22" font-weight="700" text-anchor="middle">${text}</g>` +
    `<text x="100" y="272" fill="#fff" opacity=".8" font-family="system-ui,sans-serif" font-size="11" letter-spacing="2" text-anchor="middle">${genre}</text>` +
    `</svg>`
  );
}

export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export function generatedPosterSrc(movie: { title: string; genres: string[] }): string {
  return svgDataUrl(posterSvg(movie.title, movie.genres));
}

export function posterSrc(movie: { title: string; genres: string[]; posterUrl: string | null }): string {
  return movie.posterUrl ?? generatedPosterSrc(movie);
}
