/**
 * Build contexts for the three images, assembled file by file from the repository instead of
 * tarring the whole checkout: the node image gets the node workspace's sources plus only the
 * runtime part of the host's node_modules (the dependency closure of node/package.json, read from
 * package-lock.json), the nginx image its config and the web app, the MySQL image its scripts.
 * Every context has a content key (paths, sizes, modification times, generated contents), so an
 * image whose inputs did not change is not rebuilt.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { TarEntry } from './tar.js';

export interface BuildContext {
  entries: TarEntry[];
  /** Changes whenever any input of the image changes. */
  key: string;
}

/** Folders never sent, wherever they are. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.booking', 'coverage', 'test-results']);

export class ContextBuilder {
  private readonly entries = new Map<string, TarEntry>();
  private readonly hash = createHash('sha256');

  constructor(private readonly root: string) {}

  private addParents(name: string): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.entries.has(dir)) this.entries.set(dir, { type: 'dir', name: dir, mode: 0o755, mtime: 0 });
    }
  }

  /** Adds a file, symlink or folder (recursively) from `from` (relative to the root) as `as`. */
  async add(
    from: string,
    opts: {
      as?: string;
      optional?: boolean;
      skip?: (relative: string) => boolean;
      /** Folder names to leave out at any depth (default: node_modules, .git, dist, ...). */
      skipDirs?: ReadonlySet<string>;
    } = {},
  ): Promise<this> {
    const source = path.join(this.root, from);
    const skipDirs = opts.skipDirs ?? SKIP_DIRS;
    const name = (opts.as ?? from).replace(/\/+$/, '');
    let stat: Awaited<ReturnType<typeof lstat>>;
    try {
      stat = await lstat(source);
    } catch (error) {
      if (opts.optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return this;
      throw error;
    }
    this.addParents(name);
    const mtime = Math.floor(stat.mtimeMs / 1000);
    const mode = stat.mode & 0o7777;
    if (stat.isSymbolicLink()) {
      const target = await readlink(source);
      this.entries.set(name, { type: 'symlink', name, mode, mtime, target });
      this.hash.update(`l\0${name}\0${target}\0`);
    } else if (stat.isDirectory()) {
      this.entries.set(name, { type: 'dir', name, mode, mtime: 0 });
      const children = (await readdir(source)).sort();
      for (const child of children) {
        const relative = `${from.replace(/\/+$/, '')}/${child}`;
        if (skipDirs.has(child) && (await lstat(path.join(this.root, relative))).isDirectory()) continue;
        if (opts.skip?.(relative)) continue;
        await this.add(relative, { ...opts, as: `${name}/${child}`, optional: false });
      }
    } else if (stat.isFile()) {
      this.entries.set(name, { type: 'file', name, mode, mtime, size: stat.size, source });
      this.hash.update(`f\0${name}\0${stat.size}\0${stat.mtimeMs}\0${mode}\0`);
    }
    return this;
  }

  /** Adds a generated file. */
  addContent(name: string, content: string | Buffer, mode = 0o644): this {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    this.addParents(name);
    this.entries.set(name, { type: 'file', name, mode, mtime: 0, size: data.length, source: data });
    this.hash.update(`g\0${name}\0`).update(data).update('\0');
    return this;
  }

  /** Mixes something that is not a file (build args, base image id) into the key. */
  mix(text: string): this {
    this.hash.update(`m\0${text}\0`);
    return this;
  }

  build(): BuildContext {
    return { entries: [...this.entries.values()], key: this.hash.copy().digest('hex').slice(0, 16) };
  }
}

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  link?: boolean;
  resolved?: string;
}

/**
 * The installed packages (lockfile keys such as `node_modules/ws` or
 * `node_modules/a/node_modules/b`) that a workspace needs at run time: the closure of its
 * `dependencies` under Node's resolution rules, over what package-lock.json says is installed.
 * Optional dependencies that are not installed here (other platforms' binaries) are skipped.
 */
export async function runtimePackages(root: string, workspace: string): Promise<string[]> {
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  const packages = lock.packages;
  const manifest = JSON.parse(await readFile(path.join(root, workspace, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };

  const resolve = (name: string, from: string): string | null => {
    // from is '' (root), a workspace folder, or a node_modules key; walk up its node_modules chain.
    let base = from;
    for (;;) {
      const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === '') return null;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut >= 0 ? base.slice(0, cut) : '';
    }
  };

  const found = new Set<string>();
  const queue: Array<{ name: string; from: string; optional: boolean }> = Object.keys(
    manifest.dependencies ?? {},
  ).map((name) => ({ name, from: workspace, optional: false }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift()!;
    const key = resolve(name, from);
    if (!key) {
      if (optional) continue;
      throw new Error(
        `${name} (needed by ${from || 'the root'}) is not in package-lock.json: run npm install`,
      );
    }
    const entry = packages[key]!;
    if (entry.link) continue; // a workspace of ours, not a package to ship
    if (found.has(key)) continue;
    try {
      await lstat(path.join(root, key, 'package.json'));
    } catch {
      if (optional) continue; // another platform's optional binary
      throw new Error(`${key} is missing on disk: run npm install`);
    }
    found.add(key);
    for (const dep of Object.keys(entry.dependencies ?? {}))
      queue.push({ name: dep, from: key, optional: false });
    for (const dep of Object.keys(entry.optionalDependencies ?? {}))
      queue.push({ name: dep, from: key, optional: true });
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      queue.push({ name: dep, from: key, optional: entry.peerDependenciesMeta?.[dep]?.optional === true });
    }
  }
  return [...found].sort();
}
