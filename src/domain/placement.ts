import { DomainError } from './errors.js';
import { compareText } from './text.js';
import { isKnownCurrency } from './money.js';
import { orderTotals, rowTotal, type OrderTotals, type PricedLine, type ShippingCharge } from './order.js';

export interface PlacementLine extends PricedLine {
  sku: string;
  stockable: boolean;
}

export interface PlacementInput {
  currency: string;
  items: readonly PlacementLine[];
  shipping: ShippingCharge;
  shippingAddress?: unknown;
  grandTotal?: number;
}

/** One offending input field, as a JSON pointer into the request body. */
export interface InputProblem {
  path: string;
  message: string;
}

/**
 * Constraints between fields that JSON schema cannot state. They are checked at intake, so a storefront learns
 * of a malformed order at once (400), before anything is recorded.
 */
export function placementInputProblems(input: PlacementInput): InputProblem[] {
  const problems: InputProblem[] = [];
  if (!isKnownCurrency(input.currency)) {
    problems.push({ path: '/currency', message: `${input.currency} is not an ISO 4217 currency code` });
  }
  input.items.forEach((line, index) => {
    if (line.discountAmount > rowTotal(line)) {
      problems.push({
        path: `/items/${index}/discountAmount`,
        message: `must not exceed the line total unitPrice*qty (${rowTotal(line)})`,
      });
    }
  });
  if (input.shipping.discountAmount > input.shipping.amount) {
    problems.push({ path: '/shipping/discountAmount', message: 'must not exceed the shipping amount' });
  }
  if (input.shippingAddress === undefined && input.items.some((line) => line.stockable)) {
    problems.push({ path: '/shippingAddress', message: 'is required when a line is stockable' });
  }
  return problems;
}

/** Units of one line held for it in the warehouse until they ship, are canceled or refunded. */
export interface PlannedReservation {
  lineIndex: number;
  sku: string;
  qty: number;
}

export interface PlacementPlan {
  totals: OrderTotals;
  reservations: PlannedReservation[];
}

export interface Shortage {
  sku: string;
  requested: number;
  salable: number;
}

/**
 * Decides whether an order can be placed (SPEC §3.3). `salable` holds the salable quantity of every SKU that
 * inventory manages; stockable lines of those SKUs reserve their quantity, other lines are not stock-managed.
 */
export function planPlacement(
  input: PlacementInput,
  salable: ReadonlyMap<string, number>,
  options: { backorders: boolean },
): PlacementPlan {
  const totals = orderTotals(input.items, input.shipping);
  if (input.grandTotal !== undefined && input.grandTotal !== totals.grandTotal) {
    throw new DomainError(
      'TOTALS_MISMATCH',
      `The stated grandTotal ${input.grandTotal} differs from the computed ${totals.grandTotal} ` +
        '(subTotal + shipping + tax − discount); check the cart totals and place the order again.',
      { stated: input.grandTotal, computed: totals },
    );
  }

  const reservations: PlannedReservation[] = [];
  const requested = new Map<string, number>();
  input.items.forEach((line, lineIndex) => {
    if (!line.stockable || !salable.has(line.sku)) return;
    reservations.push({ lineIndex, sku: line.sku, qty: line.qty });
    requested.set(line.sku, (requested.get(line.sku) ?? 0) + line.qty);
  });

  if (!options.backorders) {
    const shortages: Shortage[] = [...requested]
      .map(([sku, qty]) => ({ sku, requested: qty, salable: Math.max(0, salable.get(sku) ?? 0) }))
      .filter((s) => s.requested > s.salable)
      .sort((a, b) => compareText(a.sku, b.sku));
    if (shortages.length > 0) {
      throw new DomainError(
        'OUT_OF_STOCK',
        `Not enough stock for ${shortages.map((s) => `${s.sku} (requested ${s.requested}, salable ${s.salable})`).join(', ')}.`,
        { skus: shortages },
      );
    }
  }
  return { totals, reservations };
}
