import { describe, expect, it } from 'vitest';
import { planReminder, reminderDue, type ReminderPolicy } from '../../src/domain/invoice.js';
import { rejection as domainErrorOf } from '../support/domain.js';

const DAY = 86_400_000;
const policy: ReminderPolicy = { intervalDays: 3, max: 3 };
const dueAt = new Date('2025-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(dueAt.getTime() + ms);

describe('reminderDue', () => {
  it('is null for a paid invoice, even long past its due date', () => {
    expect(reminderDue({ state: 'paid', dueAt, remindersSent: 0 }, at(30 * DAY), policy)).toBeNull();
    expect(reminderDue({ state: 'paid', dueAt, remindersSent: 1, lastReminderAt: at(DAY) }, at(30 * DAY), policy)).toBeNull();
  });

  it('is null without a due date', () => {
    expect(reminderDue({ state: 'pending', remindersSent: 0 }, at(30 * DAY), policy)).toBeNull();
    expect(reminderDue({ state: 'pending', dueAt: null, remindersSent: 0 }, at(30 * DAY), policy)).toBeNull();
    expect(reminderDue({ state: 'overdue', dueAt: null, remindersSent: 0 }, at(30 * DAY), policy)).toBeNull();
  });

  it('is null before and exactly at the due date', () => {
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0 }, at(-DAY), policy)).toBeNull();
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0 }, at(-1), policy)).toBeNull();
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0 }, at(0), policy)).toBeNull();
  });

  it('marks a pending invoice overdue with a first reminder once past due', () => {
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0 }, at(1), policy)).toEqual({ markOverdue: true, sendReminder: true });
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0, lastReminderAt: null }, at(10 * DAY), policy)).toEqual({
      markOverdue: true,
      sendReminder: true,
    });
  });

  it('marks a past-due pending invoice overdue without a reminder when policy.max is 0', () => {
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: 0 }, at(1), { intervalDays: 3, max: 0 })).toEqual({
      markOverdue: true,
      sendReminder: false,
    });
  });

  it('sends an overdue invoice another reminder only once intervalDays have passed since the last one', () => {
    const lastReminderAt = at(DAY);
    const invoice = { state: 'overdue' as const, dueAt, remindersSent: 1, lastReminderAt };
    const since = (ms: number) => new Date(lastReminderAt.getTime() + ms);
    expect(reminderDue(invoice, since(0), policy)).toBeNull();
    expect(reminderDue(invoice, since(DAY), policy)).toBeNull();
    expect(reminderDue(invoice, since(3 * DAY - 1), policy)).toBeNull();
    expect(reminderDue(invoice, since(3 * DAY), policy)).toEqual({ markOverdue: false, sendReminder: true });
    expect(reminderDue(invoice, since(3 * DAY + 1), policy)).toEqual({ markOverdue: false, sendReminder: true });
  });

  it('honours a different interval', () => {
    const lastReminderAt = at(2 * DAY);
    const invoice = { state: 'overdue' as const, dueAt, remindersSent: 2, lastReminderAt };
    const weekly: ReminderPolicy = { intervalDays: 7, max: 5 };
    expect(reminderDue(invoice, new Date(lastReminderAt.getTime() + 7 * DAY - 1), weekly)).toBeNull();
    expect(reminderDue(invoice, new Date(lastReminderAt.getTime() + 7 * DAY), weekly)).toEqual({ markOverdue: false, sendReminder: true });
  });

  it('sends the last allowed reminder (remindersSent = max - 1)', () => {
    const lastReminderAt = at(DAY);
    const invoice = { state: 'overdue' as const, dueAt, remindersSent: policy.max - 1, lastReminderAt };
    expect(reminderDue(invoice, new Date(lastReminderAt.getTime() + 3 * DAY), policy)).toEqual({ markOverdue: false, sendReminder: true });
  });

  it('sends none once remindersSent === max', () => {
    const lastReminderAt = at(DAY);
    const invoice = { state: 'overdue' as const, dueAt, remindersSent: policy.max, lastReminderAt };
    expect(reminderDue(invoice, new Date(lastReminderAt.getTime() + 3 * DAY), policy)).toBeNull();
    expect(reminderDue(invoice, new Date(lastReminderAt.getTime() + 300 * DAY), policy)).toBeNull();
  });

  it('still marks a pending invoice overdue once the reminders are used up, without another reminder', () => {
    expect(reminderDue({ state: 'pending', dueAt, remindersSent: policy.max, lastReminderAt: at(-DAY) }, at(10 * DAY), policy)).toEqual({
      markOverdue: true,
      sendReminder: false,
    });
  });
});

describe('planReminder', () => {
  it('throws INVOICE_ALREADY_PAID for a paid invoice', () => {
    const error = domainErrorOf(() => planReminder({ number: 'INV-000001', state: 'paid', dueAt, remindersSent: 0 }, at(10 * DAY), policy));
    expect(error.code).toBe('INVOICE_ALREADY_PAID');
    expect(error.message).toContain('INV-000001');
  });

  it('throws INVOICE_ALREADY_PAID for a paid invoice even when it is not past due', () => {
    const error = domainErrorOf(() => planReminder({ number: 'INV-000001', state: 'paid', dueAt, remindersSent: 0 }, at(-DAY), policy));
    expect(error.code).toBe('INVOICE_ALREADY_PAID');
  });

  it('throws REMINDER_NOT_DUE naming the invoice when nothing is due', () => {
    const notPastDue = domainErrorOf(() => planReminder({ number: 'INV-000002', state: 'pending', dueAt, remindersSent: 0 }, at(0), policy));
    expect(notPastDue.code).toBe('REMINDER_NOT_DUE');
    expect(notPastDue.message).toContain('INV-000002');

    const tooSoon = domainErrorOf(() =>
      planReminder({ number: 'INV-000003', state: 'overdue', dueAt, remindersSent: 1, lastReminderAt: at(DAY) }, at(DAY + 3 * DAY - 1), policy),
    );
    expect(tooSoon.code).toBe('REMINDER_NOT_DUE');
    expect(tooSoon.message).toContain('INV-000003');

    const usedUp = domainErrorOf(() =>
      planReminder({ number: 'INV-000004', state: 'overdue', dueAt, remindersSent: 3, lastReminderAt: at(DAY) }, at(100 * DAY), policy),
    );
    expect(usedUp.code).toBe('REMINDER_NOT_DUE');
    expect(usedUp.message).toContain('INV-000004');

    const noDueDate = domainErrorOf(() => planReminder({ number: 'INV-000005', state: 'pending', dueAt: null, remindersSent: 0 }, at(DAY), policy));
    expect(noDueDate.code).toBe('REMINDER_NOT_DUE');
    expect(noDueDate.message).toContain('INV-000005');
  });

  it('returns the same decision as reminderDue when something is due', () => {
    expect(planReminder({ number: 'INV-000006', state: 'pending', dueAt, remindersSent: 0 }, at(1), policy)).toEqual({
      markOverdue: true,
      sendReminder: true,
    });
    expect(
      planReminder({ number: 'INV-000007', state: 'overdue', dueAt, remindersSent: 1, lastReminderAt: at(DAY) }, at(4 * DAY), policy),
    ).toEqual({ markOverdue: false, sendReminder: true });
    expect(planReminder({ number: 'INV-000008', state: 'pending', dueAt, remindersSent: 0 }, at(1), { intervalDays: 3, max: 0 })).toEqual({
      markOverdue: true,
      sendReminder: false,
    });
  });
});
