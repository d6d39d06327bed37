/** Runs in a piscina worker thread: the CPU work of tickets, off the event loop. */
import QRCode from 'qrcode';
import { signTicket, type TicketPayload } from './tickets.js';

export type TicketTask = { op: 'sign'; secret: string; payload: TicketPayload } | { op: 'qr'; text: string };

export default async function run(task: TicketTask): Promise<string> {
  if (task.op === 'sign') return signTicket(task.secret, task.payload);
  // A fixed mask skips scoring all eight masks, which is most of the work (about 5x faster, and
  // QR rendering is on every booking's path); any mask is valid and scans, it is only a little
  // less evenly balanced.
  return QRCode.toString(task.text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, maskPattern: 0 });
}
