/**
 * Screenshots of the main screens for the README and docs/web-app.md, taken with real data: the
 * same cluster behind Nginx and the same Chromium as the browser suite. Run after a build:
 *   npm run build -w spa && npm run screenshots -w spa
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, rpc } from '../test/browser/helpers/browser.ts';
import { ShowPool, showPath } from '../test/browser/helpers/shows.ts';
import { repoRoot, startStack } from '../test/browser/helpers/stack.ts';

const out = join(repoRoot, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

const stack = await startStack('spa_screenshots');
const browser = await launch();
try {
  const desktop = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  const { page } = desktop;
  const shot = (name: string, fullPage = false) =>
    page.screenshot({ path: join(out, `${name}.png`), fullPage });
  await page.goto(`${stack.url}/`);
  await page.getByTestId('movie-card').first().waitFor();
  await shot('now-showing');

  // A show with some life in it: a few seats booked by others, a pair held by someone else.
  const show = await new ShowPool().take(page, 30);
  const map = await rpc(page, 'seats.map', { showId: show.id });
  const ids = map.rows.flatMap((r) => r.seats.filter((s) => s.kind !== 'wheelchair').map((s) => s.id));
  const customer = { name: 'Someone Else', email: 'someone@example.org' };
  await rpc(page, 'bookings.book', { showId: show.id, seatIds: ids.slice(0, 3), customer });
  await rpc(page, 'bookings.book', { showId: show.id, seatIds: ids.slice(9, 11), customer });
  await rpc(page, 'seats.hold', { showId: show.id, seatIds: ids.slice(14, 16) });

  await page.goto(`${stack.url}/movies/${show.movieId}`);
  await page.locator(`[data-show="${show.id}"]`).waitFor();
  await shot('movie');

  await page.goto(`${stack.url}${showPath(show)}`);
  await page.locator('[data-seat]').first().waitFor();
  await page.getByLabel('People').selectOption('3');
  await page.getByRole('button', { name: 'Best seats' }).click();
  await page.getByRole('button', { name: 'Hold 3 seats' }).click();
  await page.getByTestId('hold-countdown').waitFor();
  await shot('seat-map');

  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill('ada@example.org');
  await shot('checkout');
  await page.getByRole('button', { name: /^Confirm and pay/ }).click();
  await page.getByTestId('booking-code').waitFor();
  await shot('ticket');

  await page.goto(`${stack.url}/cluster`);
  await page.locator('[data-role="master"]').first().waitFor();
  await page.getByTestId('timeline').locator('li').first().waitFor();
  await shot('cluster');

  if (stack.kind === 'cli') {
    // The dashboard while the master dies: the old one down, a new one elected, the story in the timeline.
    const masterCard = page.locator('[data-testid^="node-"][data-role="master"]');
    const oldMaster = (await masterCard.first().getAttribute('data-testid')) ?? '';
    await stack.killMaster({ wait: true });
    await page.locator(`[data-testid="${oldMaster}"][data-role="down"]`).waitFor({ timeout: 60_000 });
    await page
      .locator(`[data-testid^="node-"][data-role="master"]:not([data-testid="${oldMaster}"])`)
      .waitFor({ timeout: 60_000 });
    await shot('cluster-failover');
  }

  const phone = await openPage(browser, { viewport: { width: 390, height: 844 } });
  await phone.page.goto(`${stack.url}${showPath(show)}`);
  await phone.page.locator('[data-seat]').first().waitFor();
  await phone.page.screenshot({ path: join(out, 'phone-seat-map.png') });

  // Chromium itself logs the failed WebSocket handshakes to a killed node; anything else is a bug.
  const problems = [...desktop.problems, ...phone.problems].filter(
    (p) => !/WebSocket connection to .*\/nodes\/\d+\/rpc' failed/.test(p),
  );
  if (problems.length > 0) throw new Error(`the pages reported problems:\n${problems.join('\n')}`);
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
