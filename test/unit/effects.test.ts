import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../src/domain/money.js';
import { EMAIL_KINDS, followUpsOf, subscribersOf, WEBHOOK_EVENT_TYPES, type FollowUps } from '../../src/domain/follow-ups.js';
import { composeEmail } from '../../src/effects/email.js';
import { signature } from '../../src/effects/webhooks.js';

/** Groups the digits of a non-negative integer string in threes with commas, independently of formatMoney. */
function groupThousands(digits: string): string {
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  return groups.join(',');
}

/** The expected formatting of `amount` minor units with `decimals` places, computed with BigInt only. */
function bigIntFormat(amount: number, currency: string, decimals: number): string {
  const value = BigInt(amount);
  const abs = value < 0n ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const major = groupThousands((abs / scale).toString());
  const minor = decimals > 0 ? `.${(abs % scale).toString().padStart(decimals, '0')}` : '';
  return `${currency} ${value < 0n ? '-' : ''}${major}${minor}`;
}

describe('formatMoney', () => {
  it('formats USD with two decimals', () => {
    expect(formatMoney(1999, 'USD')).toBe('USD 19.99');
  });

  it('pads amounts below one major unit', () => {
    expect(formatMoney(5, 'USD')).toBe('USD 0.05');
    expect(formatMoney(0, 'USD')).toBe('USD 0.00');
  });

  it('groups thousands with commas', () => {
    expect(formatMoney(123456789, 'USD')).toBe('USD 1,234,567.89');
  });

  it('puts the minus sign after the currency code', () => {
    expect(formatMoney(-250, 'EUR')).toBe('EUR -2.50');
  });

  it('uses no decimals for JPY', () => {
    expect(formatMoney(1999, 'JPY')).toBe('JPY 1,999');
  });

  it('uses three decimals for KWD', () => {
    expect(formatMoney(1999, 'KWD')).toBe('KWD 1.999');
  });

  it('uses four decimals for CLF', () => {
    expect(formatMoney(1999, 'CLF')).toBe('CLF 0.1999');
    expect(formatMoney(123456789, 'CLF')).toBe('CLF 12,345.6789');
  });

  it('formats the largest safe integer exactly, without float artefacts', () => {
    const amount = Number.MAX_SAFE_INTEGER; // 9007199254740991
    const expected = bigIntFormat(amount, 'USD', 2);
    expect(expected).toBe('USD 90,071,992,547,409.91');
    expect(formatMoney(amount, 'USD')).toBe(expected);
    expect(formatMoney(-amount, 'USD')).toBe(bigIntFormat(-amount, 'USD', 2));
    expect(formatMoney(amount, 'KWD')).toBe(bigIntFormat(amount, 'KWD', 3));
    expect(formatMoney(amount, 'JPY')).toBe(bigIntFormat(amount, 'JPY', 0));
    expect(formatMoney(amount, 'CLF')).toBe(bigIntFormat(amount, 'CLF', 4));
  });
});

describe('subscribersOf', () => {
  const subscribers = [
    { id: 'paid', eventTypes: ['invoice.paid'] },
    { id: 'all', eventTypes: ['*'] },
    { id: 'both', eventTypes: ['order.placed', 'invoice.paid'] },
  ];

  it('an event goes to the subscriptions that want its type, and to those that want all types', () => {
    expect(subscribersOf('invoice.paid', subscribers).map((s) => s.id)).toEqual(['paid', 'all', 'both']);
    expect(subscribersOf('order.placed', subscribers).map((s) => s.id)).toEqual(['all', 'both']);
    expect(subscribersOf('refund.issued', subscribers).map((s) => s.id)).toEqual(['all']);
  });

  it('without subscriptions an event goes nowhere', () => {
    expect(subscribersOf('order.placed', [])).toEqual([]);
    expect(subscribersOf('order.placed', [{ id: 'paid', eventTypes: ['invoice.paid'] }])).toEqual([]);
  });
});

describe('followUpsOf', () => {
  const none: FollowUps = { webhooks: [], email: null, refundPayment: null };

  it('order.place → order.placed webhook and order_placed e-mail', () => {
    expect(followUpsOf('order.place', {})).toEqual({ webhooks: ['order.placed'], email: 'order_placed', refundPayment: null });
  });

  it('status.changed → order.status_changed webhook only', () => {
    expect(followUpsOf('status.changed', { from: 'new', to: 'processing' })).toEqual({
      webhooks: ['order.status_changed'],
      email: null,
      refundPayment: null,
    });
  });

  it('invoice.create of a pending invoice → invoice.created and e-mail', () => {
    expect(followUpsOf('invoice.create', { invoiceId: 'inv-1', state: 'pending' })).toEqual({
      webhooks: ['invoice.created'],
      email: 'invoice_created',
      refundPayment: null,
    });
  });

  it('invoice.create of a paid invoice → invoice.created and invoice.paid', () => {
    expect(followUpsOf('invoice.create', { invoiceId: 'inv-2', state: 'paid' })).toEqual({
      webhooks: ['invoice.created', 'invoice.paid'],
      email: 'invoice_created',
      refundPayment: null,
    });
  });

  it('invoice.pay → invoice.paid only when the invoice became paid', () => {
    expect(followUpsOf('invoice.pay', { state: 'paid' })).toEqual({ webhooks: ['invoice.paid'], email: null, refundPayment: null });
    expect(followUpsOf('invoice.pay', { state: 'pending' })).toEqual(none);
    expect(followUpsOf('invoice.pay', { state: 'overdue' })).toEqual(none);
    expect(followUpsOf('invoice.pay', {})).toEqual(none);
  });

  it('invoice.remind → invoice_overdue e-mail only when data.reminder === true', () => {
    expect(followUpsOf('invoice.remind', { reminder: true })).toEqual({ webhooks: [], email: 'invoice_overdue', refundPayment: null });
    expect(followUpsOf('invoice.remind', { reminder: false })).toEqual(none);
    expect(followUpsOf('invoice.remind', { reminder: 'true' })).toEqual(none);
    expect(followUpsOf('invoice.remind', {})).toEqual(none);
  });

  it('shipment.create → shipment.dispatched webhook and e-mail', () => {
    expect(followUpsOf('shipment.create', { shipmentId: 's-1' })).toEqual({
      webhooks: ['shipment.dispatched'],
      email: 'shipment_dispatched',
      refundPayment: null,
    });
  });

  it('shipment.deliver → shipment.delivered webhook only', () => {
    expect(followUpsOf('shipment.deliver', { shipmentId: 's-1' })).toEqual({ webhooks: ['shipment.delivered'], email: null, refundPayment: null });
  });

  it('refund.create → refund.issued, refund_issued e-mail and the refund paid back', () => {
    expect(followUpsOf('refund.create', { refundId: 'ref-1' })).toEqual({
      webhooks: ['refund.issued'],
      email: 'refund_issued',
      refundPayment: 'ref-1',
    });
    expect(followUpsOf('refund.create', {}).refundPayment).toBeNull();
  });

  it('order.cancel → order_canceled e-mail only', () => {
    expect(followUpsOf('order.cancel', { reason: 'x' })).toEqual({ webhooks: [], email: 'order_canceled', refundPayment: null });
  });

  it('order.comment → comment e-mail only when notifyCustomer is true', () => {
    expect(followUpsOf('order.comment', { comment: 'hi', notifyCustomer: true })).toEqual({ webhooks: [], email: 'comment', refundPayment: null });
    expect(followUpsOf('order.comment', { comment: 'hi', notifyCustomer: false })).toEqual(none);
    expect(followUpsOf('order.comment', { comment: 'hi' })).toEqual(none);
  });

  it('action.rejected → action.rejected webhook only', () => {
    expect(followUpsOf('action.rejected', { code: 'OUT_OF_STOCK' })).toEqual({ webhooks: ['action.rejected'], email: null, refundPayment: null });
  });

  it('return.request, .cancel, .receive → their webhook only; .approve and .reject also e-mail the customer', () => {
    expect(followUpsOf('return.request', {})).toEqual({ webhooks: ['return.requested'], email: null, refundPayment: null });
    expect(followUpsOf('return.cancel', {})).toEqual({ webhooks: ['return.canceled'], email: null, refundPayment: null });
    expect(followUpsOf('return.receive', {})).toEqual({ webhooks: ['return.received'], email: null, refundPayment: null });
    expect(followUpsOf('return.approve', {})).toEqual({ webhooks: ['return.approved'], email: 'return_approved', refundPayment: null });
    expect(followUpsOf('return.reject', { reason: 'x' })).toEqual({ webhooks: ['return.rejected'], email: 'return_rejected', refundPayment: null });
  });

  it("return.refund is a refund like any other: return.refunded and refund.issued, the refund e-mail, the money back", () => {
    expect(followUpsOf('return.refund', { refundId: 'ref-9' })).toEqual({
      webhooks: ['return.refunded', 'refund.issued'],
      email: 'refund_issued',
      refundPayment: 'ref-9',
    });
  });

  it('unknown history types set off nothing', () => {
    for (const type of ['', 'order.hold', 'email.sent', 'webhook.delivered', 'ORDER.PLACE', 'order.place ']) {
      expect(followUpsOf(type, { invoiceId: 'x', refundId: 'y', state: 'paid', reminder: true, notifyCustomer: true })).toEqual(none);
    }
  });

  it('returns only webhook types listed in WEBHOOK_EVENT_TYPES, and can return each of them', () => {
    const inputs: [string, Record<string, unknown>][] = [
      ['order.place', {}],
      ['status.changed', {}],
      ['invoice.create', { invoiceId: 'i', state: 'paid' }],
      ['invoice.create', { invoiceId: 'i', state: 'pending' }],
      ['invoice.pay', { state: 'paid' }],
      ['invoice.pay', { state: 'pending' }],
      ['invoice.remind', { reminder: true }],
      ['shipment.create', {}],
      ['shipment.deliver', {}],
      ['refund.create', { refundId: 'r' }],
      ['order.cancel', {}],
      ['order.comment', { notifyCustomer: true }],
      ['return.request', {}],
      ['return.approve', {}],
      ['return.reject', {}],
      ['return.cancel', {}],
      ['return.receive', {}],
      ['return.refund', { refundId: 'r' }],
      ['action.rejected', {}],
      ['something.else', {}],
    ];
    const known: readonly string[] = WEBHOOK_EVENT_TYPES;
    const produced = new Set<string>();
    for (const [type, data] of inputs) {
      for (const webhook of followUpsOf(type, data).webhooks) {
        expect(known, `${type} returned ${webhook}`).toContain(webhook);
        produced.add(webhook);
      }
    }
    expect([...produced].sort()).toEqual([...known].sort());
  });
});

describe('composeEmail', () => {
  const order = { number: '100000042', customerFirstName: 'Ada', currency: 'EUR', grandTotal: 123456 };
  const seller = 'Acme Supplies GmbH';
  const linesOf = (text: string) => text.split('\n');

  it('order_placed', () => {
    const message = composeEmail('order_placed', order, {}, seller);
    expect(message.subject).toBe('Your order 100000042');
    expect(message.text).toContain('100000042');
    expect(message.text).toContain(formatMoney(123456, 'EUR'));
    expect(message.text).toBe(
      ['Hello Ada,', '', 'Thank you for your order 100000042.', 'Total: EUR 1,234.56.', '', seller].join('\n'),
    );
  });

  it('invoice_created, pending and paid', () => {
    const pending = composeEmail('invoice_created', order, { invoiceId: 'i-1', number: 'INV-000007', grandTotal: 99999, state: 'pending' }, seller);
    expect(pending.subject).toBe('Invoice INV-000007 for order 100000042');
    expect(pending.text).toBe(
      ['Hello Ada,', '', 'Invoice INV-000007 of EUR 999.99 is attached.', 'Payment is due as stated on it.', '', seller].join('\n'),
    );
    const paid = composeEmail('invoice_created', order, { invoiceId: 'i-1', number: 'INV-000007', grandTotal: 99999, state: 'paid' }, seller);
    expect(paid.subject).toBe('Invoice INV-000007 for order 100000042');
    expect(linesOf(paid.text)).toContain('It is paid.');
    expect(paid.text).not.toContain('Payment is due');
  });

  it('formats amounts in the order currency', () => {
    const yen = composeEmail('invoice_created', { ...order, currency: 'JPY' }, { number: 'INV-1', grandTotal: 1999, state: 'pending' }, seller);
    expect(yen.text).toContain('Invoice INV-1 of JPY 1,999 is attached.');
    const kwd = composeEmail('order_placed', { ...order, currency: 'KWD', grandTotal: 1999 }, {}, seller);
    expect(kwd.text).toContain('Total: KWD 1.999.');
  });

  it('shipment_dispatched names the carrier and the tracking number', () => {
    const message = composeEmail(
      'shipment_dispatched',
      order,
      { number: 'SHP-000003', carrier: { code: 'dhl', title: 'DHL Express' }, trackingNumber: 'JD014600006281230704' },
      seller,
    );
    expect(message.subject).toBe('Order 100000042 is on its way');
    expect(message.text).toBe(
      [
        'Hello Ada,',
        '',
        'Shipment SHP-000003 left with DHL Express.',
        'Tracking number: JD014600006281230704.',
        '',
        seller,
      ].join('\n'),
    );
  });

  it('shipment_dispatched without a carrier says "the carrier"', () => {
    const message = composeEmail('shipment_dispatched', order, { number: 'SHP-000004', trackingNumber: 'T1' }, seller);
    expect(linesOf(message.text)).toContain('Shipment SHP-000004 left with the carrier.');
  });

  it('refund_issued', () => {
    const message = composeEmail('refund_issued', order, { refundId: 'r-1', number: 'CM-000001', grandTotal: 2550 }, seller);
    expect(message.subject).toBe('Refund for order 100000042');
    expect(message.text).toBe(['Hello Ada,', '', 'We refunded EUR 25.50 (credit memo CM-000001).', '', seller].join('\n'));
  });

  it('order_canceled with and without a reason', () => {
    const withReason = composeEmail('order_canceled', order, { reason: 'Customer asked to cancel' }, seller);
    expect(withReason.subject).toBe('Order 100000042 canceled');
    expect(withReason.text).toBe(
      ['Hello Ada,', '', 'Your order 100000042 was canceled.', 'Reason: Customer asked to cancel', '', seller].join('\n'),
    );
    const without = composeEmail('order_canceled', order, {}, seller);
    expect(without.subject).toBe('Order 100000042 canceled');
    expect(without.text).toBe(['Hello Ada,', '', 'Your order 100000042 was canceled.', '', seller].join('\n'));
  });

  it('comment', () => {
    const message = composeEmail('comment', order, { comment: 'Your parcel will arrive on Friday.', notifyCustomer: true }, seller);
    expect(message.subject).toBe('About your order 100000042');
    expect(message.text).toBe(['Hello Ada,', '', 'Your parcel will arrive on Friday.', '', seller].join('\n'));
  });

  it('invoice_overdue names the invoice, the due date and the amount due', () => {
    const message = composeEmail(
      'invoice_overdue',
      order,
      { invoiceId: 'i-9', invoiceNumber: 'INV-000009', dueAt: '2025-03-01T12:00:00.000Z', due: 4999, reminder: true },
      seller,
    );
    expect(message.subject).toBe('Payment reminder: invoice INV-000009');
    expect(message.text).toBe(
      [
        'Hello Ada,',
        '',
        'Invoice INV-000009 for order 100000042 was due on 2025-03-01.',
        'Amount due: EUR 49.99.',
        '',
        seller,
      ].join('\n'),
    );
  });

  it('return_approved says where to send the goods and which number to write on the parcel', () => {
    const message = composeEmail('return_approved', order, { returnId: 'r-1', number: 'RMA-000004', note: 'Use the original box.' }, seller, [
      seller,
      '12 Engine Row',
      'Cambridge CB2 1TN',
    ]);
    expect(message.subject).toBe('Your return RMA-000004 is approved');
    expect(linesOf(message.text)).toEqual([
      'Hello Ada,',
      '',
      'We approved your return RMA-000004 for order 100000042.',
      'Please send the items listed on the attached return slip to:',
      seller,
      '12 Engine Row',
      'Cambridge CB2 1TN',
      'Write RMA-000004 on the parcel, or put the slip inside it.',
      'Use the original box.',
      '',
      seller,
    ]);
    const noAddress = composeEmail('return_approved', order, { number: 'RMA-000004' }, seller);
    expect(linesOf(noAddress.text)).toContain('Please send the items listed on the attached return slip to the address printed on it.');
  });

  it('return_rejected gives the reason', () => {
    const message = composeEmail('return_rejected', order, { number: 'RMA-000005', reason: 'Worn and washed.' }, seller);
    expect(message.subject).toBe('Your return RMA-000005 was not accepted');
    expect(linesOf(message.text)).toEqual([
      'Hello Ada,',
      '',
      'We could not accept your return RMA-000005 for order 100000042.',
      'Reason: Worn and washed.',
      '',
      seller,
    ]);
  });

  it('every kind greets the first name first and ends with the seller name', () => {
    const kinds = EMAIL_KINDS;
    for (const kind of kinds) {
      const message = composeEmail(kind, { ...order, customerFirstName: 'Grace' }, { comment: 'c' }, 'Seller & Sons');
      const lines = linesOf(message.text);
      expect(lines[0], kind).toBe('Hello Grace,');
      expect(lines.at(-1), kind).toBe('Seller & Sons');
      expect(message.html.startsWith('<!doctype html><html><body><p>Hello Grace,</p>'), kind).toBe(true);
      expect(message.html.endsWith('<p>Seller &amp; Sons</p></body></html>'), kind).toBe(true);
      expect(message.subject.length, kind).toBeGreaterThan(0);
    }
  });

  it('escapes customer-controlled text in the HTML', () => {
    const comment = '<script>alert("x")</script> Tom & Jerry\'s';
    const message = composeEmail('comment', { ...order, customerFirstName: '<b>Ada</b> & Co' }, { comment, notifyCustomer: true }, seller);
    expect(message.html).not.toContain('<script>');
    expect(message.html).not.toContain('<b>');
    expect(message.html).toContain('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry&#39;s</p>');
    expect(message.html).toContain('<p>Hello &lt;b&gt;Ada&lt;/b&gt; &amp; Co,</p>');
    expect(message.html).toBe(
      '<!doctype html><html><body>' +
        '<p>Hello &lt;b&gt;Ada&lt;/b&gt; &amp; Co,</p><p></p>' +
        '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry&#39;s</p><p></p>' +
        `<p>${seller}</p></body></html>`,
    );
    // The plain-text part carries the comment verbatim.
    expect(linesOf(message.text)[2]).toBe(comment);
  });
});

describe('signature', () => {
  const secret = 'whsec_test_secret';
  const timestamp = 1_700_000_000;
  const body = JSON.stringify({ id: 'evt-1', type: 'order.placed', data: { total: 1999 } });
  const expected = (s: string, t: number, b: string) => `t=${t},v1=${createHmac('sha256', s).update(`${t}.${b}`).digest('hex')}`;

  it('has the form t=<ts>,v1=<64 hex>', () => {
    expect(signature(secret, timestamp, body)).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
  });

  it('is the HMAC-SHA256 of "<ts>.<body>" with the secret', () => {
    expect(signature(secret, timestamp, body)).toBe(expected(secret, timestamp, body));
    expect(signature(secret, timestamp, '')).toBe(expected(secret, timestamp, ''));
  });

  it('changes when the body, the secret or the timestamp changes', () => {
    const base = signature(secret, timestamp, body);
    const other = [
      signature(secret, timestamp, `${body} `),
      signature(`${secret}x`, timestamp, body),
      signature(secret, timestamp + 1, body),
    ];
    for (const value of other) expect(value).not.toBe(base);
    // The digest itself changes too, not only the t= part.
    const digest = (value: string) => value.split(',v1=')[1];
    expect(digest(signature(secret, timestamp + 1, body))).not.toBe(digest(base));
    expect(new Set(other.map(digest)).size).toBe(3);
  });
});
