/** Runs in a piscina worker thread: the CPU work of tickets, off the event loop. */
import QRCode from 'qrcode';
import { signTicket, type TicketPayload } from './tickets.js';

export type TicketTask = { op: 'sign'; secret: string; payload: TicketPayload } | { op: 'qr'; text: string };

export default async function run(task: TicketTask): Promise<string> {
  if (task.op === 'sign') return signTicket(task.secret, task.payload);
  // A fixed mask skips scoring all eight masks, which is most of the work (about 5x faster, and
  // QR rendering is on every booking's path); any mask is valid and scans, it is only a little
  // less evenly balanced.
  // One byte-mode segment: a ticket token is base64url (mixed case), so byte mode is what the
  // encoder would pick anyway, and naming it skips its search for the cheapest mix of modes
  // (a shortest-path search over every character: 60 % of the time of drawing a code).
  const segments: QRCode.QRCodeSegment[] = [{ data: Buffer.from(task.text, 'utf8'), mode: 'byte' }];
  return QRCode.toString(segments, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 2,
    maskPattern: 0,
  });
}
