import { DomainError } from '../domain/errors.js';
import { orderStatus, qtyReserved, type InvoiceState, type LineCounters } from '../domain/order.js';
import type { OrderSnapshot, SnapshotLine } from '../db/snapshot.js';
import { noChanges, type Changes } from '../db/write.js';
import type { Applied, HistoryEvent, PlanInput } from './definition.js';

/** The action's order; an action on an order that does not exist (its placement was rejected) is refused. */
export function existingOrder(input: Pick<PlanInput<unknown>, 'order' | 'action'>): OrderSnapshot {
  if (!input.order) {
    throw new DomainError(
      'ORDER_NOT_FOUND',
      `Order ${input.action.orderId} does not exist (its placement was rejected or never made).`,
    );
  }
  return input.order;
}

type Counter = 'qtyInvoiced' | 'qtyShipped' | 'qtyRefunded' | 'qtyCanceled';
const COLUMNS: Record<Counter, string> = {
  qtyInvoiced: 'qty_invoiced',
  qtyShipped: 'qty_shipped',
  qtyRefunded: 'qty_refunded',
  qtyCanceled: 'qty_canceled',
};

/** Units an action adds to the counters of its order's lines, by line id. */
export type CounterDeltas = ReadonlyMap<string, Partial<Record<Counter, number>>>;

/**
 * The order's lines after `deltas`, the counter changes that write them, and the reservations brought to what each
 * reserved line still has to ship.
 */
export function countLines(order: OrderSnapshot, deltas: CounterDeltas): { lines: SnapshotLine[]; changes: Changes } {
  const changes = noChanges();
  const lines = order.lines.map((line) => {
    const delta = deltas.get(line.id);
    if (!delta) return line;
    const after = { ...line };
    const add: Record<string, number> = {};
    for (const [counter, units] of Object.entries(delta) as [Counter, number][]) {
      if (units === 0) continue;
      after[counter] += units;
      add[COLUMNS[counter]] = units;
    }
    if (Object.keys(add).length > 0) changes.changes.push({ table: 'order_lines', key: { id: line.id }, add });
    if (line.reserved && qtyReserved(after) !== qtyReserved(line)) {
      changes.changes.push({ table: 'reservations', key: { line_id: line.id }, set: { qty: qtyReserved(after) } });
    }
    return after;
  });
  return { lines, changes };
}

/**
 * Records an applied action on an existing order: its history entry, the status recomputed from the order as the
 * action leaves it (SPEC §3.2) with a `status.changed` entry when it moved, and the order's row.
 */
export function applied(
  input: PlanInput<unknown>,
  order: OrderSnapshot,
  after: { lines?: readonly LineCounters[]; held?: boolean; invoiceStates?: readonly InvoiceState[] },
  recorded: { data: Record<string, unknown>; changes?: Changes; result: Record<string, string> },
): Applied {
  const held = after.held ?? order.held;
  const status = orderStatus({
    held,
    lines: after.lines ?? order.lines,
    invoiceStates: after.invoiceStates ?? order.invoices.map((invoice) => invoice.state),
  });
  const events: HistoryEvent[] = [{ type: input.action.type, data: recorded.data }];
  if (status !== order.status) events.push({ type: 'status.changed', data: { from: order.status, to: status } });
  const changes = recorded.changes ?? noChanges();
  changes.changes.push({
    table: 'orders',
    key: { id: order.id },
    set: { status, held, updated_at: input.now.toISOString() },
  });
  return { changes, events, result: recorded.result };
}
