/**
 * The customer in the middle of checkout when the master dies: `booking cluster kill --master`
 * runs, the customer presses Confirm while the cluster is still electing, and ends up with exactly
 * one booking. Meanwhile the dashboard, open in another tab, shows the election happen.
 */
import anyTest, { type TestFn } from 'ava';
import type { Browser } from 'playwright-core';
import { launch, openPage, rpc } from './helpers/browser.ts';
import { ShowPool, showPath } from './helpers/shows.ts';
import { type Stack, startStack } from './helpers/stack.ts';

interface Context {
  stack: Stack;
  browser: Browser;
}
const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  t.context.stack = await startStack('spa_e2e_failover', { nodes: 3, needCli: true });
  t.context.browser = await launch();
});

test.after.always(async (t) => {
  await t.context.browser?.close();
  await t.context.stack?.stop();
});

test('a booking confirmed after kill --master in the middle of checkout succeeds exactly once', async (t) => {
  const { stack, browser } = t.context;
  const customer = await openPage(browser);
  const watcher = await openPage(browser);
  t.teardown(() => customer.context.close());
  t.teardown(() => watcher.context.close());
  const { page } = customer;
  page.setDefaultTimeout(60_000);
  watcher.page.setDefaultTimeout(60_000);

  await page.goto(`${stack.url}/`);
  const show = await new ShowPool().take(page);
  await page.goto(`${stack.url}${showPath(show)}`);
  await page.locator('[data-seat]').first().waitFor();
  await page.getByLabel('People').selectOption('2');
  await page.getByRole('button', { name: 'Best seats' }).click();
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  await page.getByTestId('hold-countdown').waitFor();
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await page.getByLabel('Name').fill('Barbara Liskov');
  await page.getByLabel('Email').fill('barbara@example.org');
  const draft = await page.evaluate(
    () =>
      JSON.parse(sessionStorage.getItem('booking.checkout') ?? 'null') as {
        idempotencyKey: string;
        hold: { holdId: string; seatIds: string[] };
      } | null,
  );
  if (!draft) throw new Error('the checkout draft is not in sessionStorage');
  const seatIds = [...draft.hold.seatIds].sort();

  await watcher.page.goto(`${stack.url}/cluster`);
  const masterCard = watcher.page.locator('[data-testid^="node-"][data-role="master"]');
  await masterCard.first().waitFor();
  const oldMaster = Number((await masterCard.first().getAttribute('data-testid'))?.slice('node-'.length));

  // The master dies; the customer confirms before the election is over.
  const kill = await stack.killMaster({ wait: false });
  t.is(kill.previousMasterId ?? kill.killed, oldMaster);
  await page.getByRole('button', { name: /^Confirm and pay/ }).click();

  const code = ((await page.getByTestId('booking-code').textContent()) ?? '').trim();
  t.regex(code, /^[A-Z0-9]{16,}$/);
  // The ticket lists the seats in the order they were picked; compare them as a set.
  t.deepEqual(
    ((await page.getByTestId('ticket-seats').textContent()) ?? '').split(', ').sort(),
    [...seatIds].sort(),
  );

  // Exactly once: the code is found, the seats are booked once, and the same key gives the same booking.
  const booking = await rpc(page, 'bookings.get', { code });
  t.is(booking.status, 'confirmed');
  t.deepEqual([...booking.seatIds].sort(), seatIds);
  const again = await rpc(page, 'bookings.confirm', {
    holdId: draft.hold.holdId,
    customer: { name: 'Barbara Liskov', email: 'barbara@example.org' },
    idempotencyKey: draft.idempotencyKey,
  });
  t.is(again.code, code, 'repeating the confirm with its key returns the first booking');
  const map = await rpc(page, 'seats.map', { showId: show.id, afterCommitIndex: booking.commitIndex });
  const taken = map.rows.flatMap((r) => r.seats).filter((s) => s.status !== 'available');
  t.deepEqual(
    taken.map((s) => [s.id, s.status]).sort(),
    seatIds.map((id) => [id, 'booked']),
    'the show has exactly these seats booked, nothing else held or booked',
  );

  // The dashboard saw it: the old master is down and another node leads.
  await watcher.page.locator(`[data-testid="node-${oldMaster}"][data-role="down"]`).waitFor();
  await watcher.page
    .locator(`[data-testid^="node-"][data-role="master"]:not([data-testid="node-${oldMaster}"])`)
    .waitFor();

  // Chromium logs failed WebSocket handshakes to the dead node itself; anything else is a bug.
  const isDeadSocket = (p: string) => /WebSocket connection to .* failed/.test(p);
  t.deepEqual(
    [...customer.problems, ...watcher.problems].filter((p) => !isDeadSocket(p)),
    [],
  );
});
