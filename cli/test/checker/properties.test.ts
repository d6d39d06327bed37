import test from 'ava';
import fc from 'fast-check';
import { checkHistory } from '../../src/services/checker/check.js';
import { parseHistory, serializeHistory } from '../../src/services/checker/history.js';
import { cmdsArb, MODEL_SEATS, run, SHOW } from './model.js';

// Fixed seeds: the suite is deterministic. FC_SEED=<n> explores other seeds by hand.
const seed = Number(process.env['FC_SEED'] ?? 20300101);
const params = { seed, numRuns: 300 };

test('a history of a correct service is valid, and survives a JSONL round trip', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(cmdsArb, (cmds) => {
        const r = run(cmds);
        const v = checkHistory(parseHistory(serializeHistory(r.history)), r.final);
        if (v.verdict !== 'valid') throw new Error(JSON.stringify(v.anomalies, null, 1));
      }),
      params,
    ),
  );
});

test('deleting an acknowledged booking from one node: invalid, with exactly that evidence', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(cmdsArb, fc.nat(), fc.nat(2), (cmds, pick, nodeIndex) => {
        const r = run(cmds);
        fc.pre(r.acked.size > 0);
        const victim = [...r.acked.keys()][pick % r.acked.size]!;
        const node = r.final.nodes[nodeIndex]!;
        const gone = node.bookings.find((b) => b.id === victim)!;
        node.bookings = node.bookings.filter((b) => b.id !== victim);
        // The node never had it, so its seats are not booked there either.
        if (gone.status === 'confirmed') for (const s of gone.seatIds) node.seats![SHOW]![s] = 'available';

        const v = checkHistory(r.history, r.final);
        if (v.verdict !== 'invalid' || v.anomalies.length !== 1) throw new Error(JSON.stringify(v.anomalies));
        const a = v.anomalies[0]!;
        if (a.kind !== 'lost-booking') throw new Error(a.kind);
        if (JSON.stringify(a.bookingIds) !== JSON.stringify([victim])) throw new Error('wrong booking');
        if (a.nodes.length !== 1 || a.nodes[0]!.nodeId !== node.nodeId || a.nodes[0]!.booking !== null)
          throw new Error('wrong node facts');
        // Evidence: the invoke and ok of every op acknowledged with this booking, and nothing else.
        const ackOps = new Set(
          r.history
            .filter(
              (x) =>
                x.type === 'ok' &&
                'result' in x &&
                (x.result as { id?: string }).id === victim &&
                x.method !== 'bookings.cancel',
            )
            .map((x) => (x as { opId: number }).opId),
        );
        const want = r.history.filter((x) => x.type !== 'fault' && ackOps.has(x.opId));
        if (JSON.stringify(a.ops) !== JSON.stringify(want)) throw new Error('evidence is not minimal');
      }),
      params,
    ),
  );
});

test('adding a booking nobody asked for: phantom-booking, on a seat already sold: double-sale too', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(cmdsArb, fc.nat(MODEL_SEATS.length - 1), (cmds, seatIndex) => {
        const r = run(cmds);
        const seat = MODEL_SEATS[seatIndex]!;
        const wasBooked = r.final.nodes[0]!.seats![SHOW]![seat] === 'booked';
        for (const node of r.final.nodes) {
          node.bookings.push({
            id: 'b_ghost',
            code: 'GHOST00000000000',
            showId: SHOW,
            seatIds: [seat],
            customer: { name: 'Nobody', email: 'nobody@example.test' },
            status: 'confirmed',
            lamport: 10_000,
            idempotencyKey: null,
            holdId: null,
          });
          node.seats![SHOW]![seat] = 'booked';
        }
        const v = checkHistory(r.history, r.final);
        const kinds = new Set(v.anomalies.map((a) => a.kind));
        if (v.verdict !== 'invalid' || !kinds.has('phantom-booking'))
          throw new Error(JSON.stringify(v.anomalies));
        if (wasBooked !== kinds.has('double-sale')) throw new Error(`double-sale expected: ${wasBooked}`);
        for (const k of kinds) if (k !== 'phantom-booking' && k !== 'double-sale') throw new Error(k);
      }),
      params,
    ),
  );
});

test('undoing an acknowledged cancel on one node: lost-cancel', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(cmdsArb, fc.nat(), fc.nat(2), (cmds, pick, nodeIndex) => {
        const r = run(cmds);
        fc.pre(r.ackedCancels.size > 0);
        const victim = [...r.ackedCancels][pick % r.ackedCancels.size]!;
        const node = r.final.nodes[nodeIndex]!;
        node.bookings.find((b) => b.id === victim)!.status = 'confirmed';
        const v = checkHistory(r.history, r.final);
        const lost = v.anomalies.find((a) => a.kind === 'lost-cancel');
        if (!lost || lost.bookingIds[0] !== victim || lost.nodes[0]!.nodeId !== node.nodeId)
          throw new Error(JSON.stringify(v.anomalies));
      }),
      params,
    ),
  );
});
