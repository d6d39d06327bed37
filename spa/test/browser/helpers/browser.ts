/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), with two guards every
 * test gets for free: requests that leave loopback are refused (and reported), and console errors
 * and uncaught page errors are collected so a test can assert there were none.
 */
import type { MethodName, ParamsOf, ResultOf } from '@booking/node/protocol';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and off-loopback requests seen so far. */
  problems: string[];
}

const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

export function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return loopback.test(hostname);
}

export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    reducedMotion: 'reduce',
    acceptDownloads: true,
  });
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    problems.push(`request left loopback: ${url}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems };
}

/**
 * One JSON-RPC call made from inside the page, through the same Nginx `/rpc` the app uses: the
 * suite checks what the cluster says without a second client stack in Node.
 */
export async function rpc<M extends MethodName>(
  page: Page,
  method: M,
  params: ParamsOf<M>,
): Promise<ResultOf<M>> {
  const answer = await page.evaluate(
    ({ method, params }) =>
      new Promise<{ result?: unknown; error?: { message: string; data?: unknown } }>((resolve, reject) => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`);
        ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
        ws.onmessage = (event) => {
          ws.close();
          resolve(JSON.parse(String(event.data)));
        };
        ws.onerror = () => reject(new Error('rpc socket failed'));
      }),
    { method, params },
  );
  if (answer.error)
    throw new Error(`${method}: ${answer.error.message} ${JSON.stringify(answer.error.data ?? {})}`);
  return answer.result as ResultOf<M>;
}
