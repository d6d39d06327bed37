/** Runs in a piscina worker thread: the CPU work of tickets, off the event loop. */
import QRCode from 'qrcode';

/** QR codes for many tokens in one task: a post to a thread costs more than drawing one code. */
export type TicketTask = { op: 'qr'; texts: string[] };

function qrSvg(text: string): Promise<string> {
  // A fixed mask skips scoring all eight masks, which is most of the work (about 5x faster, and
  // QR rendering is on every booking's path); any mask is valid and scans, it is only a little
  // less evenly balanced.
  // One byte-mode segment: a ticket token is base64url (mixed case), so byte mode is what the
  // encoder would pick anyway, and naming it skips its search for the cheapest mix of modes
  // (a shortest-path search over every character: 60 % of the time of drawing a code).
  const segments: QRCode.QRCodeSegment[] = [{ data: Buffer.from(text, 'utf8'), mode: 'byte' }];
  return QRCode.toString(segments, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 2,
    maskPattern: 0,
  });
}

export default async function run(task: TicketTask): Promise<string[]> {
  const out: string[] = [];
  for (const text of task.texts) out.push(await qrSvg(text));
  return out;
}
