/**
 * Proposals nobody waits for (an expiry entry before a booking, the first parts of a catalog
 * import) may fail in a failover: that must never become an unhandled rejection, which would end
 * the node's process. Checked on the real service over a log whose every proposal is lost.
 */
import test from 'ava';
import type { BookingApplier } from '../../src/booking/apply.js';
import type { Command } from '../../src/booking/entries.js';
import { BookingMachine } from '../../src/booking/machine.js';
import { BookingService } from '../../src/booking/service.js';
import type { Proposal, WriteLog } from '../../src/log/write-log.js';
import { AppError } from '../../src/protocol/errors.js';

test('a lost proposal that nobody awaits does not reject unhandled', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  let last = 0;
  const machine = BookingMachine.load({ appliedIndex: 0, shows: [], claims: [], holds: [], bookings: [] });
  const losing: WriteLog<Command> = {
    serving: true,
    servingTerm: 1,
    get lastIndex() {
      return last;
    },
    appliedIndex: 0,
    commitIndex: 0,
    epoch: 1,
    applyError: null,
    propose(): Proposal {
      last++;
      return {
        index: last,
        epoch: 1,
        lamport: last,
        done: Promise.reject(new AppError('NO_MASTER', 'lost in a failover')),
      };
    },
    waitApplied: async () => true,
    onApplied: () => () => {},
    onServing: () => () => {},
  };
  const applier = { machine, rejection: () => undefined } as unknown as BookingApplier;
  const service = new BookingService(null as never, losing, applier, {
    holdTtlMs: 60_000,
    secret: 'x'.repeat(43),
  });
  const snapshot = { movies: [], theaters: [], shows: [] };
  const error = await t.throwsAsync(service.importCatalog([snapshot, snapshot, snapshot]));
  t.regex(error!.message, /lost/);
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  t.deepEqual(unhandled, []);
});
