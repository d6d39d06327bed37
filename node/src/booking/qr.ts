/**
 * The QR code of a ticket, as an SVG: ISO/IEC 18004, byte mode, error correction level M, mask 0.
 *
 * Why not the `qrcode` package: it drew a ticket's code (version 12) in about 160 µs, and the
 * worker threads drawing codes were a fifth of a slave's CPU under load (docs/performance.md).
 * Everything that does not depend on the text is the same for every code of a version — the
 * function patterns, the format and version bits, the order in which data bits are placed and
 * the mask — so it is built once per version (`Template`); a code is then its Reed–Solomon
 * blocks, one pass over the data bits and the SVG path. The output is byte for byte what
 * `qrcode`'s `toString(…, {type: 'svg', errorCorrectionLevel: 'M', margin: 2, maskPattern: 0})`
 * gives for a byte-mode segment (node/test/booking/qr.test.ts checks it on random texts), so a
 * ticket's `qrSvg` is unchanged.
 *
 * A fixed mask is valid and scans; the encoder does not score the eight masks (most of the cost
 * of a general encoder), it is only a little less evenly balanced.
 */

/** Per version 1..40 at level M: error-correction blocks, and EC codewords in all (ISO 18004 table 9). */
const M_BLOCKS = [
  1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
  31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
];
const M_EC_CODEWORDS = [
  10, 16, 26, 36, 48, 64, 72, 88, 110, 130, 150, 176, 198, 216, 240, 280, 308, 338, 364, 416, 442, 476, 504,
  560, 588, 644, 700, 728, 784, 812, 868, 924, 980, 1036, 1064, 1120, 1204, 1260, 1316, 1372,
];

const MARGIN = 2;

/** Codewords (data and EC) a version holds: its modules less the function patterns, in bytes. */
function totalCodewords(version: number): number {
  let bits = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    bits -= (25 * align - 10) * align - 55;
    if (version >= 7) bits -= 36;
  }
  return Math.floor(bits / 8);
}

function dataCodewords(version: number): number {
  return totalCodewords(version) - M_EC_CODEWORDS[version - 1]!;
}

/** Bytes of text a version holds in byte mode at level M. */
export function byteCapacity(version: number): number {
  const countBits = version <= 9 ? 8 : 16;
  return Math.floor((dataCodewords(version) * 8 - 4 - countBits) / 8);
}

export const MAX_QR_BYTES = byteCapacity(40);

// ---- GF(256) and Reed–Solomon ------------------------------------------------------------------

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

const generators = new Map<number, Uint8Array>();

/**
 * The generator polynomial of `degree` EC codewords (its highest coefficient, always 1, left out)
 * as a product table: entry `f * degree + k` is coefficient k times f. One lookup per coefficient
 * in the remainder's inner loop, where the time of a code goes.
 */
function generatorProducts(degree: number): Uint8Array {
  let table = generators.get(degree);
  if (table) return table;
  const g = new Uint8Array(degree);
  g[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      g[j] = mul(g[j]!, root) ^ (j + 1 < degree ? g[j + 1]! : 0);
    }
    root = mul(root, 2);
  }
  table = new Uint8Array(256 * degree);
  for (let f = 1; f < 256; f++) for (let k = 0; k < degree; k++) table[f * degree + k] = mul(g[k]!, f);
  generators.set(degree, table);
  return table;
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

/** The EC codewords of `data[from, to)` into `out[at, at + n)`: its remainder, as a shift register. */
function remainder(
  data: Uint8Array,
  from: number,
  to: number,
  products: Uint8Array,
  n: number,
  out: Uint8Array,
  at: number,
): void {
  const last = at + n - 1;
  out.fill(0, at, at + n);
  for (let i = from; i < to; i++) {
    const base = (data[i]! ^ out[at]!) * n;
    for (let j = at, k = base; j < last; j++, k++) out[j] = out[j + 1]! ^ products[k]!;
    out[last] = products[base + n - 1]!;
  }
}

// ---- the template of a version -------------------------------------------------------------------

interface Template {
  size: number;
  /** Every module with the function patterns drawn and data modules at their masked zero. */
  base: Uint8Array;
  /** Module index of each data bit, in placement order (only as many as the codewords fill). */
  order: Uint32Array;
}

const templates = new Map<number, Template>();

function alignmentPositions(version: number, size: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

function template(version: number): Template {
  const cached = templates.get(version);
  if (cached) return cached;
  const size = version * 4 + 17;
  const dark = new Uint8Array(size * size);
  const fn = new Uint8Array(size * size);
  const set = (x: number, y: number, on: boolean) => {
    dark[y * size + x] = on ? 1 : 0;
    fn[y * size + x] = 1;
  };
  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [
    [3, 3],
    [size - 4, 3],
    [3, size - 4],
  ] as const) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        set(x, y, d !== 2 && d !== 4);
      }
    }
  }
  const align = alignmentPositions(version, size);
  const last = align.length - 1;
  for (let i = 0; i <= last; i++) {
    for (let j = 0; j <= last; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++)
          set(align[i]! + dx, align[j]! + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  }
  // Format bits: level M (00) and mask 0 (000), BCH(15,5), XORed with 0x5412.
  const format = formatBits();
  const bit = (v: number, i: number) => ((v >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) set(8, i, bit(format, i));
  set(8, 7, bit(format, 6));
  set(8, 8, bit(format, 7));
  set(7, 8, bit(format, 8));
  for (let i = 9; i < 15; i++) set(14 - i, 8, bit(format, i));
  for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(format, i));
  for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(format, i));
  set(8, size - 8, true);
  if (version >= 7) {
    let rem = version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      set(a, b, bit(bits, i));
      set(b, a, bit(bits, i));
    }
  }
  const bits = totalCodewords(version) * 8;
  const order = new Uint32Array(bits);
  let n = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let vert = 0; vert < size; vert++) {
      const y = upward ? size - 1 - vert : vert;
      for (let j = 0; j < 2; j++) {
        const at = y * size + right - j;
        if (fn[at] === 1) continue;
        // Mask 0 darkens (x + y) even; the remainder bits past the codewords stay at the mask.
        dark[at] = (right - j + y) % 2 === 0 ? 1 : 0;
        if (n < bits) order[n++] = at;
      }
    }
  }
  const t: Template = { size, base: dark, order };
  templates.set(version, t);
  return t;
}

function formatBits(): number {
  const data = 0; // (level M = 0b00) << 3 | mask 0
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

// ---- a code ------------------------------------------------------------------------------------

/**
 * The data codewords of `bytes` for `version`: mode 0100, the count (8 or 16 bits), the bytes, a
 * 4-bit terminator, then the pad bytes. Mode and count are 12 or 20 bits, so every byte of text
 * straddles two codewords at a nibble: the codewords are built a nibble at a time.
 */
function dataBlock(bytes: Uint8Array, version: number): Uint8Array {
  const capacity = dataCodewords(version);
  const out = new Uint8Array(capacity);
  const n = bytes.length;
  let at = 0;
  let carry: number; // the low nibble waiting for the next codeword's high half
  if (version <= 9) {
    out[at++] = 0x40 | (n >>> 4);
    carry = n & 0xf;
  } else {
    out[at++] = 0x40 | (n >>> 12);
    out[at++] = (n >>> 4) & 0xff;
    carry = n & 0xf;
  }
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    out[at++] = (carry << 4) | (b >>> 4);
    carry = b & 0xf;
  }
  // The carried nibble and the terminator's four zero bits end on a byte boundary.
  out[at++] = carry << 4;
  for (let pad = 0xec; at < capacity; pad ^= 0xec ^ 0x11) out[at++] = pad;
  return out;
}

/** Data and EC codewords of all blocks, interleaved as they are placed. */
function codewords(data: Uint8Array, version: number): Uint8Array {
  const blocks = M_BLOCKS[version - 1]!;
  const ecLen = M_EC_CODEWORDS[version - 1]! / blocks;
  const total = totalCodewords(version);
  const shortLen = Math.floor(total / blocks);
  const shortBlocks = blocks - (total % blocks);
  const shortData = shortLen - ecLen;
  const g = generatorProducts(ecLen);
  const ec = new Uint8Array(blocks * ecLen);
  const starts: number[] = [];
  for (let b = 0, at = 0; b < blocks; b++) {
    const len = shortData + (b < shortBlocks ? 0 : 1);
    starts.push(at);
    remainder(data, at, at + len, g, ecLen, ec, b * ecLen);
    at += len;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (let i = 0; i <= shortData; i++) {
    for (let b = 0; b < blocks; b++) {
      if (i === shortData && b < shortBlocks) continue;
      out[o++] = data[starts[b]! + i]!;
    }
  }
  for (let i = 0; i < ecLen; i++) for (let b = 0; b < blocks; b++) out[o++] = ec[b * ecLen + i]!;
  return out;
}

/** The modules of the code of `text` (UTF-8 bytes): 1 is dark, row by row, and its side. */
export function qrModules(text: string): { size: number; modules: Uint8Array } {
  const bytes = Buffer.from(text, 'utf8');
  let version = 1;
  while (version <= 40 && byteCapacity(version) < bytes.length) version++;
  if (version > 40)
    throw new RangeError(`a QR code holds at most ${MAX_QR_BYTES} bytes, not ${bytes.length}`);
  const t = template(version);
  const words = codewords(dataBlock(bytes, version), version);
  const modules = t.base.slice();
  const order = t.order;
  for (let w = 0; w < words.length; w++) {
    const v = words[w]!;
    if (v === 0) continue;
    const o = w * 8;
    for (let b = 0; b < 8; b++) if (v & (0x80 >>> b)) modules[order[o + b]!]! ^= 1;
  }
  return { size: t.size, modules };
}

/** Scratch bytes the SVG path is written into, grown to the largest code drawn so far. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * The SVG of the code: a white square and one stroked path of horizontal runs, one per row
 * (`M` to a row's first run, `m` over the gap to each next one, `h` along a run). The path is
 * written as ASCII bytes: building it from thousands of small strings was most of the time.
 */
export function qrSvg(text: string): string {
  const { size, modules } = qrModules(text);
  const side = size + MARGIN * 2;
  // At most one command per module, none longer than `M179 179.5h177`.
  const bound = size * size * 16;
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(bound);
  const out = scratch;
  let at = 0;
  const num = (n: number) => {
    if (n >= 100) out[at++] = 48 + Math.floor(n / 100);
    if (n >= 10) out[at++] = 48 + (Math.floor(n / 10) % 10);
    out[at++] = 48 + (n % 10);
  };
  for (let y = 0; y < size; y++) {
    const row = y * size;
    let first = true;
    let gap = 0;
    for (let x = 0; x < size; ) {
      if (modules[row + x] === 0) {
        gap++;
        x++;
        continue;
      }
      const from = x;
      while (x < size && modules[row + x] === 1) x++;
      if (first) {
        out[at++] = 77; // M
        num(from + MARGIN);
        out[at++] = 32;
        num(y + MARGIN);
        out[at++] = 46; // .5
        out[at++] = 53;
      } else {
        out[at++] = 109; // m
        num(gap);
        out[at++] = 32;
        out[at++] = 48; // 0
      }
      out[at++] = 104; // h
      num(x - from);
      first = false;
      gap = 0;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<path fill="#ffffff" d="M0 0h${side}v${side}H0z"/><path stroke="#000000" d="${out.toString('latin1', 0, at)}"/></svg>\n`
  );
}
