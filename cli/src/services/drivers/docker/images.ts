/**
 * The cluster's images: booking-node, booking-mysql and booking-nginx, built from the
 * Dockerfiles in docker/ on a base chosen by build args.
 *
 * Base images: by default the offline base `booking-base:<hash>` that docker/build-base-image.sh
 * makes from Debian packages (built here on first use, cached after), so nothing is ever pulled.
 * BOOKING_DOCKER_BASE=official uses node:20-bookworm-slim, mariadb:11.4 and nginx:1.27-bookworm
 * instead (the engine pulls them: needs a registry); any other value is taken as one image that has
 * node, nginx and mariadbd (like the offline base).
 *
 * Every image is tagged with a key of its inputs (context files, generated config, base image
 * id), so an unchanged image is reused without sending a build context at all.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import { CliError, exitCodes } from '../../errors.js';
import { repoRoot } from '../../paths.js';
import type { Progress } from '../driver.js';
import { type BuildContext, ContextBuilder, runtimePackages } from './context.js';
import { dockerMessage, LABEL, statusCode } from './engine.js';
import { tarSize, tarStream } from './tar.js';

export interface BaseImages {
  node: string;
  mysql: string;
  nginx: string;
  /** Can the host's node_modules go into the node image (same OS and CPU as the engine)? */
  prebuiltModules: boolean;
}

export const OFFICIAL_IMAGES = {
  node: 'node:20-bookworm-slim',
  mysql: 'mariadb:11.4',
  nginx: 'nginx:1.27-bookworm',
} as const;

const BASE_SCRIPT = path.join(repoRoot, 'docker/build-base-image.sh');

async function imageId(docker: Docker, ref: string): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
}

function runBaseScript(args: string[], progress?: Progress): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BASE_SCRIPT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The node binary that runs this CLI is the one the image gets.
      env: { ...process.env, BOOKING_NODE_BIN: process.execPath },
    });
    let stdout = '';
    let tail: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail = [...tail, line].slice(-10);
        progress?.('Building the offline base image', line.replace(/^\[base-image\]\s*/, '').trim());
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ref = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && ref) resolve(ref);
      else
        reject(
          new CliError(
            `building the offline base image failed: ${tail.at(-1) ?? `exit ${code}`}`,
            `run it by hand to see everything: sudo ${path.relative(process.cwd(), BASE_SCRIPT) || BASE_SCRIPT}`,
            exitCodes.unavailable,
          ),
        );
    });
  });
}

/** The offline base image's ref, built first if missing (a few minutes, once). */
export async function ensureOfflineBase(docker: Docker, progress?: Progress): Promise<string> {
  const ref = await runBaseScript(['--print-ref']);
  if (await imageId(docker, ref)) return ref;
  progress?.('Building the offline base image', 'debootstrap + nginx-light + mariadb-server (one time)');
  return runBaseScript([], progress);
}

function engineArch(arch: string): string {
  return (
    ({ x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64' } as Record<string, string>)[arch] ??
    arch
  );
}

export async function resolveBaseImages(docker: Docker, progress?: Progress): Promise<BaseImages> {
  const info = (await docker.info()) as { OSType?: string; Architecture?: string };
  const prebuiltModules =
    process.platform === 'linux' &&
    info.OSType === 'linux' &&
    engineArch(info.Architecture ?? '') === process.arch;
  const choice = process.env.BOOKING_DOCKER_BASE?.trim();
  if (choice === 'official') return { ...OFFICIAL_IMAGES, prebuiltModules };
  if (choice) {
    if (!(await imageId(docker, choice))) {
      throw new CliError(
        `BOOKING_DOCKER_BASE names ${choice}, which is not in the local Docker engine`,
        'build it (docker/build-base-image.sh) or unset BOOKING_DOCKER_BASE',
        exitCodes.unavailable,
      );
    }
    return { node: choice, mysql: choice, nginx: choice, prebuiltModules };
  }
  if (!prebuiltModules) {
    throw new CliError(
      `the Docker engine runs ${info.OSType}/${info.Architecture}, this CLI ${process.platform}/${process.arch}: the offline images need both the same`,
      'set BOOKING_DOCKER_BASE=official to build on the official images (needs a registry), or use docker compose',
      exitCodes.unavailable,
    );
  }
  const base = await ensureOfflineBase(docker, progress);
  return { node: base, mysql: base, nginx: base, prebuiltModules };
}

export type ImageKind = 'node' | 'mysql' | 'nginx';

export interface ImageSpec {
  kind: ImageKind;
  repository: string;
  dockerfile: string;
  buildargs: Record<string, string>;
  context: BuildContext;
  labels?: Record<string, string>;
}

async function nodeContext(prebuiltModules: boolean): Promise<BuildContext> {
  // The image runs the compiled node, as production does: `npm run build` makes node/dist.
  if (!existsSync(path.join(repoRoot, 'node/dist/src/main.js'))) {
    throw new CliError(
      'the node is not compiled (no node/dist/src/main.js)',
      'run: npm run build',
      exitCodes.unavailable,
    );
  }
  const ctx = new ContextBuilder(repoRoot);
  for (const file of [
    'package.json',
    'package-lock.json',
    'node/package.json',
    'cli/package.json',
    'spa/package.json',
  ]) {
    await ctx.add(file);
  }
  await ctx.add('node/bin');
  await ctx.add('node/dist/src', { skip: (file) => /\.d\.ts(\.map)?$/.test(file) });
  await ctx.add('docker/node');
  if (prebuiltModules) {
    const keep = new Set(['.git']);
    for (const pkg of await runtimePackages(repoRoot, 'node')) {
      // Nested node_modules are packages of their own: the closure lists the ones needed.
      await ctx.add(pkg, { as: `docker/node/prebuilt/${pkg}`, skipDirs: new Set([...keep, 'node_modules']) });
    }
  }
  return ctx.build();
}

async function mysqlContext(): Promise<BuildContext> {
  const ctx = new ContextBuilder(repoRoot);
  await ctx.add('docker/mysql');
  return ctx.build();
}

async function nginxContext(config: string): Promise<BuildContext> {
  const ctx = new ContextBuilder(repoRoot);
  await ctx.add('docker/nginx/Dockerfile');
  await ctx.add('docker/nginx/placeholder');
  await ctx.add('spa/dist', { optional: true, skipDirs: new Set() });
  ctx.addContent('docker/nginx/cluster.conf', config);
  return ctx.build();
}

export async function imageSpecs(
  bases: BaseImages,
  nginxConfig: string,
): Promise<Record<ImageKind, ImageSpec>> {
  const [node, mysql, nginx] = await Promise.all([
    nodeContext(bases.prebuiltModules),
    mysqlContext(),
    nginxContext(nginxConfig),
  ]);
  return {
    node: {
      kind: 'node',
      repository: 'booking-node',
      dockerfile: 'docker/node/Dockerfile',
      buildargs: { NODE_IMAGE: bases.node },
      context: node,
    },
    mysql: {
      kind: 'mysql',
      repository: 'booking-mysql',
      dockerfile: 'docker/mysql/Dockerfile',
      buildargs: { MYSQL_IMAGE: bases.mysql },
      context: mysql,
    },
    nginx: {
      kind: 'nginx',
      repository: 'booking-nginx',
      dockerfile: 'docker/nginx/Dockerfile',
      buildargs: { NGINX_IMAGE: bases.nginx, NGINX_CONF: 'docker/nginx/cluster.conf' },
      context: nginx,
    },
  };
}

function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Builds the image unless one with the same input key exists; returns its tag. Progress: the
 * context upload in percent, then every build step (`Step 3/12 : COPY ...`) as it starts.
 */
export async function ensureImage(docker: Docker, spec: ImageSpec, progress: Progress): Promise<string> {
  const baseIds = await Promise.all(Object.values(spec.buildargs).map((v) => imageId(docker, v)));
  const key = new ContextBuilder(repoRoot)
    .mix(spec.context.key)
    .mix(spec.dockerfile)
    .mix(JSON.stringify(spec.buildargs))
    .mix(baseIds.join(','))
    .build().key;
  const tag = `${spec.repository}:${key.slice(0, 12)}`;
  const step = `Building image ${spec.repository}`;
  if (await imageId(docker, tag)) {
    progress(step, `${tag} is up to date`);
    return tag;
  }
  const total = tarSize(spec.context.entries);
  progress(step, `sending ${spec.context.entries.length} files, ${formatBytes(total)}`);
  let sent = 0;
  let lastPercent = -1;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      const percent = Math.floor((sent / total) * 100);
      if (percent >= lastPercent + 10 || percent === 100) {
        lastPercent = percent;
        progress(step, `sending the build context: ${percent}% of ${formatBytes(total)}`);
      }
      callback(null, chunk);
    },
  });
  const context = tarStream(spec.context.entries).pipe(counter);
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.buildImage(context, {
      t: tag,
      dockerfile: spec.dockerfile,
      buildargs: spec.buildargs,
      labels: { [LABEL.managed]: 'true', [LABEL.image]: spec.kind, [LABEL.contextKey]: key, ...spec.labels },
      rm: true,
      forcerm: true,
    });
  } catch (error) {
    throw new CliError(
      `building ${spec.repository} failed: ${dockerMessage(error)}`,
      undefined,
      exitCodes.failed,
    );
  }
  const recent: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      response,
      (error: Error | null, output: BuildEvent[]) => {
        const failed = error?.message ?? output.find((e) => e.error)?.error;
        if (failed) {
          const detail = recent.slice(-8).join('\n');
          reject(
            new CliError(
              `building ${spec.repository} failed: ${failed.trim()}`,
              detail ? `last build output:\n${detail}` : undefined,
              exitCodes.failed,
            ),
          );
        } else resolve();
      },
      (event: BuildEvent) => {
        const text = (event.stream ?? event.status ?? '').trim();
        if (!text) return;
        for (const line of text.split('\n')) recent.push(line);
        recent.splice(0, Math.max(0, recent.length - 20));
        if (/^Step \d+\/\d+ :/.test(text)) progress(step, text.split('\n')[0]!.slice(0, 120));
        else if (event.status) progress(step, `${event.status} ${event.progress ?? ''}`.trim().slice(0, 120));
      },
    );
  });
  if (!(await imageId(docker, tag))) {
    throw new CliError(
      `building ${spec.repository} failed: no image ${tag} after the build`,
      recent.slice(-8).join('\n'),
    );
  }
  progress(step, `built ${tag}`);
  await pruneOlder(docker, spec, tag);
  return tag;
}

/** Builds older than this are candidates for pruning; younger ones may belong to a start running right now. */
const PRUNE_AFTER_MS = 15 * 60_000;

/**
 * Drops earlier builds of the same image (for Nginx: of the same cluster) that no container uses
 * and that are older than PRUNE_AFTER_MS, so a concurrent start never loses the image it just built.
 */
async function pruneOlder(docker: Docker, spec: ImageSpec, keep: string): Promise<void> {
  const labels = [`${LABEL.image}=${spec.kind}`];
  const cluster = spec.labels?.[LABEL.cluster];
  if (cluster) labels.push(`${LABEL.cluster}=${cluster}`);
  const images = await docker.listImages({
    filters: JSON.stringify({ label: labels }) as unknown as Record<string, string[]>,
  });
  for (const image of images) {
    const tags = image.RepoTags ?? [];
    if (tags.includes(keep) || !tags.some((t) => t.startsWith(`${spec.repository}:`))) continue;
    if (Date.now() - image.Created * 1000 < PRUNE_AFTER_MS) continue;
    // Without force, the engine refuses to remove an image a container uses: exactly right.
    await docker
      .getImage(image.Id)
      .remove()
      .catch(() => {});
  }
  if (spec.kind === 'node') await pruneStageCache(docker);
}

/**
 * The legacy builder (what the engine API offers without BuildKit) keeps the node image's `deps`
 * stage as an untagged image: its build cache. Keep the newest, drop older ones past PRUNE_AFTER_MS.
 */
async function pruneStageCache(docker: Docker): Promise<void> {
  const stages = await docker.listImages({
    filters: JSON.stringify({ dangling: ['true'], label: ['booking.stage=deps'] }) as unknown as Record<
      string,
      string[]
    >,
  });
  const old = stages.sort((a, b) => b.Created - a.Created).slice(1);
  for (const image of old) {
    if (Date.now() - image.Created * 1000 < PRUNE_AFTER_MS) continue;
    await docker
      .getImage(image.Id)
      .remove()
      .catch(() => {});
  }
}
