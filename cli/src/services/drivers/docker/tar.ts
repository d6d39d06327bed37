/**
 * A small streaming tar writer (POSIX ustar plus PAX headers for long names), enough to send a
 * Docker build context: regular files from disk or memory, directories and symlinks, with their
 * modes. We write the context ourselves instead of tarring a folder so that the context holds
 * exactly what an image needs, can place files under other names (the host's node_modules go in
 * as `docker/node/prebuilt/node_modules`), and can carry generated files that never touch disk.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export type TarEntry =
  | { type: 'file'; name: string; mode: number; size: number; mtime: number; source: string | Buffer }
  | { type: 'dir'; name: string; mode: number; mtime: number }
  | { type: 'symlink'; name: string; mode: number; mtime: number; target: string };

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function fitsUstar(text: string, max: number): boolean {
  return Buffer.byteLength(text) <= max && !/[^\x20-\x7e]/.test(text);
}

function header(fields: {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname?: string;
}): Buffer {
  const block = Buffer.alloc(BLOCK, 0);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  block.write(octal(0, 8), 108, 8, 'ascii'); // uid
  block.write(octal(0, 8), 116, 8, 'ascii'); // gid
  block.write(octal(fields.size, 12), 124, 12, 'ascii');
  block.write(octal(Math.max(0, Math.floor(fields.mtime)), 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii'); // checksum placeholder: eight spaces
  block.write(fields.typeflag, 156, 1, 'ascii');
  if (fields.linkname) block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest, 0);
}

/** A PAX extended header carrying `path` / `linkpath` when they do not fit ustar's 100 bytes. */
function paxHeader(name: string, records: Record<string, string>): Buffer[] {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const content = ` ${key}=${value}\n`;
    // The length prefix counts itself: grow it until it is stable.
    let length = Buffer.byteLength(content) + 1;
    while (String(length).length + Buffer.byteLength(content) !== length) {
      length = String(length).length + Buffer.byteLength(content);
    }
    body += `${length}${content}`;
  }
  const data = Buffer.from(body, 'utf8');
  const short = `PaxHeaders/${name.slice(-80)}`.replace(/[^\x20-\x7e]/g, '_');
  return [
    header({ name: short, mode: 0o644, size: data.length, mtime: 0, typeflag: 'x' }),
    data,
    padding(data.length),
  ];
}

function entryHeaders(entry: TarEntry): Buffer[] {
  const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const linkname = entry.type === 'symlink' ? entry.target : undefined;
  const pax: Record<string, string> = {};
  if (!fitsUstar(name, 100)) pax.path = name;
  if (linkname !== undefined && !fitsUstar(linkname, 100)) pax.linkpath = linkname;
  const out = Object.keys(pax).length > 0 ? paxHeader(name, pax) : [];
  out.push(
    header({
      name: pax.path ? name.slice(0, 99).replace(/[^\x20-\x7e]/g, '_') : name,
      mode: entry.mode,
      size: entry.type === 'file' ? entry.size : 0,
      mtime: entry.mtime,
      typeflag: entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2',
      ...(linkname !== undefined ? { linkname: pax.linkpath ? linkname.slice(0, 99) : linkname } : {}),
    }),
  );
  return out;
}

async function* generate(entries: Iterable<TarEntry>, onEntry?: (entry: TarEntry) => void) {
  for (const entry of entries) {
    onEntry?.(entry);
    for (const chunk of entryHeaders(entry)) yield chunk;
    if (entry.type !== 'file') continue;
    let written = 0;
    if (Buffer.isBuffer(entry.source)) {
      yield entry.source;
      written = entry.source.length;
    } else {
      for await (const chunk of createReadStream(entry.source)) {
        const buffer = chunk as Buffer;
        // A file that grew since it was listed: send only the announced size.
        const take = Math.min(buffer.length, entry.size - written);
        if (take > 0) yield take === buffer.length ? buffer : buffer.subarray(0, take);
        written += take;
      }
    }
    // A file that shrank since it was listed: pad with zeros to the announced size.
    if (written < entry.size) yield Buffer.alloc(entry.size - written, 0);
    yield padding(entry.size);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

/** A readable tar stream of `entries`, read lazily (files are opened one at a time). */
export function tarStream(entries: Iterable<TarEntry>, onEntry?: (entry: TarEntry) => void): Readable {
  return Readable.from(generate(entries, onEntry), { objectMode: false });
}

/** Total size of the tar stream of `entries` (for progress), without reading any file. */
export function tarSize(entries: Iterable<TarEntry>): number {
  let total = BLOCK * 2;
  for (const entry of entries) {
    for (const chunk of entryHeaders(entry)) total += chunk.length;
    if (entry.type === 'file') total += entry.size + padding(entry.size).length;
  }
  return total;
}
