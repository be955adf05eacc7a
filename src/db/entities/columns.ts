import { p } from '@mikro-orm/core';

/**
 * Column kinds that several entities share. Money is a bigint column read as `number`: the domain keeps every
 * amount a safe integer of minor units, so no amount needs a bigint or a string in memory.
 */
export const money = () => p.bigint('number');
export const timestamp = () => p.datetime().columnType('timestamptz');

/** A line's share on a document (invoice or refund): units, and the prorated amounts they carry. */
export const documentItemColumns = () => ({
  lineId: p.uuid().primary(),
  qty: p.integer(),
  unitPrice: money(),
  rowTotal: money(),
  taxAmount: money(),
  discountAmount: money(),
});
