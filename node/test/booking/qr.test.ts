/**
 * The ticket QR encoder against the `qrcode` package, the reference it replaces: for the same
 * text, level M, mask 0 and a byte-mode segment, the same modules and the same SVG, byte for byte.
 * Texts come from a seeded generator: every length from 1 to past version 40's capacity boundary
 * is not practical, so the lengths that cross each version's capacity (where version choice,
 * the count field's width and the block split change) are covered, plus random ones.
 */
import test from 'ava';
import QRCode from 'qrcode';
import { byteCapacity, MAX_QR_BYTES, qrModules, qrSvg } from '../../src/booking/qr.js';
import { mulberry32, randomInt } from '../../src/cluster/prng.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

function text(random: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(random, ALPHABET.length)];
  return s;
}

const options = { errorCorrectionLevel: 'M', margin: 2, maskPattern: 0 } as const;
const segments = (s: string): QRCode.QRCodeSegment[] => [{ data: Buffer.from(s, 'utf8'), mode: 'byte' }];

function reference(s: string) {
  const qr = QRCode.create(segments(s), options);
  return { version: qr.version, size: qr.modules.size, modules: Uint8Array.from(qr.modules.data) };
}

test('modules equal the reference at every version boundary (versions 1 to 40)', (t) => {
  const random = mulberry32(7);
  for (let version = 1; version <= 40; version++) {
    const cap = byteCapacity(version);
    for (const length of [cap, cap + 1]) {
      if (length > MAX_QR_BYTES) continue;
      const s = text(random, length);
      const ours = qrModules(s);
      const ref = reference(s);
      t.is(ours.size, ref.size, `length ${length}: side`);
      t.deepEqual(ours.modules, ref.modules, `length ${length} (version ${ref.version}): modules`);
    }
  }
});

test('the SVG equals the reference for random texts and ticket-sized ones', async (t) => {
  const random = mulberry32(11);
  const lengths = [1, 2, 17, 255, 256, 257, 260, 270, 300];
  for (let i = 0; i < 40; i++) lengths.push(1 + randomInt(random, 700));
  for (const length of lengths) {
    const s = text(random, length);
    t.is(qrSvg(s), await QRCode.toString(segments(s), { ...options, type: 'svg' }), `length ${length}`);
  }
  const utf8 = 'Grüße, 映画のチケット 🎟';
  t.is(qrSvg(utf8), await QRCode.toString(segments(utf8), { ...options, type: 'svg' }), 'multi-byte UTF-8');
});

test('a text past version 40 is refused with a clear error, not drawn wrong', (t) => {
  const error = t.throws(() => qrModules('x'.repeat(MAX_QR_BYTES + 1)), { instanceOf: RangeError });
  t.regex(error.message, /at most 2331 bytes/);
  t.notThrows(() => qrModules('x'.repeat(MAX_QR_BYTES)));
});
