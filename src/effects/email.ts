import nodemailer from 'nodemailer';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { EmailKind } from '../domain/follow-ups.js';
import { formatMoney } from '../domain/money.js';
import { Email } from '../db/entities/effects.js';
import { Order } from '../db/entities/orders.js';
import { writeWhileUnavailable } from '../db/errors.js';
import { appendHistory } from '../db/history.js';
import { uuidv7 } from '../db/ids.js';
import { ensurePdf, type PdfKind } from './pdf.js';
import { ClaimBusyError, CLAIM_SECONDS, whileClaimed } from './claims.js';

export interface EmailRequest {
  eventId: string;
  kind: EmailKind;
  orderId: string;
  data: Record<string, unknown>;
}

export interface Message {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const str = (value: unknown) => (typeof value === 'string' ? value : '');
const num = (value: unknown) => (typeof value === 'number' ? value : 0);

/** The text of each e-mail, from the order and the history entry that caused it. Pure. */
export function composeEmail(
  kind: EmailKind,
  order: Pick<Order, 'number' | 'customerFirstName' | 'currency' | 'grandTotal'>,
  data: Record<string, unknown>,
  sellerName: string,
  /** Where returned goods go (the seller's address). */
  returnAddress: readonly string[] = [],
): Message {
  const money = (amount: number) => formatMoney(amount, order.currency);
  const [subject, body]: [string, string[]] = (() => {
    switch (kind) {
      case 'order_placed':
        return [`Your order ${order.number}`, [`Thank you for your order ${order.number}.`, `Total: ${money(order.grandTotal)}.`]];
      case 'invoice_created':
        return [
          `Invoice ${str(data.number)} for order ${order.number}`,
          [`Invoice ${str(data.number)} of ${money(num(data.grandTotal))} is attached.`, data.state === 'paid' ? 'It is paid.' : 'Payment is due as stated on it.'],
        ];
      case 'shipment_dispatched': {
        const carrier = data.carrier as { title?: string } | undefined;
        return [
          `Order ${order.number} is on its way`,
          [`Shipment ${str(data.number)} left with ${carrier?.title ?? 'the carrier'}.`, `Tracking number: ${str(data.trackingNumber)}.`],
        ];
      }
      case 'refund_issued':
        return [`Refund for order ${order.number}`, [`We refunded ${money(num(data.grandTotal))} (credit memo ${str(data.number)}).`]];
      case 'order_canceled':
        return [`Order ${order.number} canceled`, [`Your order ${order.number} was canceled.`, ...(data.reason ? [`Reason: ${str(data.reason)}`] : [])]];
      case 'comment':
        return [`About your order ${order.number}`, [str(data.comment)]];
      case 'invoice_overdue':
        return [
          `Payment reminder: invoice ${str(data.invoiceNumber)}`,
          [`Invoice ${str(data.invoiceNumber)} for order ${order.number} was due on ${str(data.dueAt).slice(0, 10)}.`, `Amount due: ${money(num(data.due))}.`],
        ];
      case 'return_approved':
        return [
          `Your return ${str(data.number)} is approved`,
          [
            `We approved your return ${str(data.number)} for order ${order.number}.`,
            returnAddress.length > 0
              ? 'Please send the items listed on the attached return slip to:'
              : 'Please send the items listed on the attached return slip to the address printed on it.',
            ...returnAddress,
            `Write ${str(data.number)} on the parcel, or put the slip inside it.`,
            ...(data.note ? [str(data.note)] : []),
          ],
        ];
      case 'return_rejected':
        return [
          `Your return ${str(data.number)} was not accepted`,
          [`We could not accept your return ${str(data.number)} for order ${order.number}.`, `Reason: ${str(data.reason)}`],
        ];
    }
  })();
  const lines = [`Hello ${order.customerFirstName},`, '', ...body, '', sellerName];
  return {
    subject,
    text: lines.join('\n'),
    html: `<!doctype html><html><body>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`,
  };
}

export interface Mailer {
  /** Resolves with the provider's id of the accepted message; null when messages are only logged. */
  send(message: Message & { to: string; messageId: string; attachments: { filename: string; content: Buffer }[] }): Promise<string | null>;
}

/** SMTP through nodemailer when SMTP_URL is set; otherwise messages are recorded and logged, not sent. */
export function createMailer(config: Config, log: Logger): Mailer {
  const { smtpUrl, from } = config.mail;
  if (smtpUrl === null) {
    return {
      async send(message) {
        log.info({ to: message.to, subject: message.subject, text: message.text }, 'e-mail logged (SMTP_URL not set)');
        return null;
      },
    };
  }
  // Bounded, so that a send that hangs ends (one way or the other) instead of renewing its claim for ever.
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(message) {
      const info = await transport.sendMail({ from, ...message });
      return info.messageId;
    },
  };
}

export interface EmailDeps {
  orm: MikroORM;
  config: Config;
  log: Logger;
  mailer: Mailer;
}

/** The PDF an e-mail carries: the invoice with its invoice e-mail, the return slip with the approval. */
function attachmentOf(request: EmailRequest): { kind: PdfKind; id: string } | null {
  if (request.kind === 'invoice_created' && typeof request.data.invoiceId === 'string') return { kind: 'invoice', id: request.data.invoiceId };
  if (request.kind === 'return_approved' && typeof request.data.returnId === 'string') return { kind: 'return', id: request.data.returnId };
  return null;
}

interface ClaimRow {
  id: string;
  status: Email['status'];
  recipient: string;
  subject: string;
  claimed_at: Date | null;
  claimed: boolean;
}

/**
 * Sends one e-mail at most once: its record (unique per event and kind) is created first, then claimed by one
 * conditional update, so that neither a retried job nor a duplicate running at the same time repeats a message
 * the server accepted. A message that failed for good may be claimed again: that is a retry asked for by hand.
 */
export async function sendEmail(deps: EmailDeps, request: EmailRequest): Promise<'sent' | 'logged' | 'sent-before' | 'disabled'> {
  // Actions write no e-mail of a kind switched off; this catches jobs queued before EMAILS changed.
  if (!deps.config.mail.enabled.includes(request.kind)) return 'disabled';
  const em = deps.orm.em.fork();
  const order = await em.findOneOrFail(Order, request.orderId);
  const message = composeEmail(request.kind, order, request.data, deps.config.seller.name, [deps.config.seller.name, ...deps.config.seller.address]);
  await em.execute(
    `insert into emails (id, event_id, order_id, kind, recipient, subject, status, created_at)
     values (?, ?, ?, ?, ?, ?, 'pending', now()) on conflict (event_id, kind) do nothing`,
    [uuidv7(), request.eventId, order.id, request.kind, order.customerEmail, message.subject],
  );
  // The select reads the row as it was before the claim; `claimed` says whether this job took it.
  const [email] = await em.execute<ClaimRow[]>(
    `with claimed as (
       update emails set status = 'sending', attempts = attempts + 1, claimed_at = now()
       where event_id = ? and kind = ?
         and (status in ('pending', 'failed') or (status = 'sending' and claimed_at < now() - make_interval(secs => ?)))
       returning id)
     select e.id, e.status, e.recipient, e.subject, e.claimed_at, exists (select 1 from claimed) as claimed
     from emails e where e.event_id = ? and e.kind = ?`,
    [request.eventId, request.kind, CLAIM_SECONDS, request.eventId, request.kind],
  );
  if (!email) throw new Error(`e-mail record of event ${request.eventId} (${request.kind}) vanished`);
  if (!email.claimed) {
    if (email.status === 'sent' || email.status === 'logged') return 'sent-before';
    throw new ClaimBusyError(`e-mail ${email.id}`, email.claimed_at ? new Date(email.claimed_at) : null);
  }

  const renew = () => em.execute(`update emails set claimed_at = now() where id = ? and status = 'sending'`, [email.id]);
  let providerId: string | null;
  try {
    providerId = await whileClaimed(renew, async () => {
      const attached = attachmentOf(request);
      const attachments = attached
        ? [await ensurePdf(deps, attached.kind, attached.id)].map((pdf) => ({ filename: pdf.fileName, content: pdf.content }))
        : [];
      return deps.mailer.send({ ...message, to: email.recipient, messageId: `<${email.id}@orderflow>`, attachments });
    }, deps.log);
  } catch (error) {
    await em.nativeUpdate(
      Email,
      { id: email.id },
      { status: 'pending', lastError: error instanceof Error ? error.message : String(error) },
    );
    throw error;
  }
  const status = providerId === null ? 'logged' : 'sent';
  await writeWhileUnavailable(() => em.fork().transactional(async (tx) => {
    await tx.nativeUpdate(Email, { id: email.id }, { status, providerId, sentAt: new Date(), lastError: null });
    appendHistory(tx, {
      orderId: order.id,
      type: `email.${status}`,
      actor: 'system',
      data: { emailId: email.id, kind: request.kind, recipient: email.recipient, subject: email.subject, providerId },
      at: new Date(),
    });
  }));
  return status;
}

/** After the last attempt: the record says failed, and so does the order's history. */
export async function markEmailFailed(deps: { orm: MikroORM }, request: EmailRequest, error: Error): Promise<void> {
  await deps.orm.em.fork().transactional(async (tx) => {
    const email = await tx.findOne(Email, { eventId: request.eventId, kind: request.kind });
    if (!email || (email.status !== 'pending' && email.status !== 'sending')) return;
    Object.assign(email, { status: 'failed', lastError: error.message });
    appendHistory(tx, {
      orderId: email.orderId,
      type: 'email.failed',
      actor: 'system',
      data: { emailId: email.id, kind: email.kind, recipient: email.recipient, error: error.message, attempts: email.attempts },
      at: new Date(),
    });
  });
}
