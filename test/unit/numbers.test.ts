import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { formatDocumentNumber } from '../../src/domain/numbers.js';

const devEnv = { NODE_ENV: 'development' };

describe('formatDocumentNumber', () => {
  it('formats the first order number as 100000001 (no prefix, padding 9)', () => {
    expect(formatDocumentNumber(100_000_001, { prefix: '', padding: 9 })).toBe('100000001');
  });

  it('formats the next order numbers in sequence', () => {
    expect(formatDocumentNumber(100_000_002, { prefix: '', padding: 9 })).toBe('100000002');
    expect(formatDocumentNumber(999_999_999, { prefix: '', padding: 9 })).toBe('999999999');
  });

  it('formats the first invoice number as INV-000001', () => {
    expect(formatDocumentNumber(1, { prefix: 'INV-', padding: 6 })).toBe('INV-000001');
  });

  it('zero-pads shipment and refund numbers after their prefixes', () => {
    expect(formatDocumentNumber(42, { prefix: 'SHP-', padding: 6 })).toBe('SHP-000042');
    expect(formatDocumentNumber(123_456, { prefix: 'RFD-', padding: 6 })).toBe('RFD-123456');
  });

  it('does not truncate a value longer than the padding', () => {
    expect(formatDocumentNumber(1_234_567, { prefix: 'INV-', padding: 6 })).toBe('INV-1234567');
    expect(formatDocumentNumber(1_000_000_000, { prefix: '', padding: 9 })).toBe('1000000000');
    expect(formatDocumentNumber(123, { prefix: 'X', padding: 1 })).toBe('X123');
  });

  it('keeps the prefix verbatim', () => {
    expect(formatDocumentNumber(7, { prefix: 'EU/2026/', padding: 4 })).toBe('EU/2026/0007');
  });

  it('formats the configured default sequences as SPEC §2 lists them', () => {
    const { numbers } = loadConfig(devEnv);
    expect(numbers).toEqual({
      order: { prefix: '', padding: 9, start: 100_000_001 },
      invoice: { prefix: 'INV-', padding: 6, start: 1 },
      shipment: { prefix: 'SHP-', padding: 6, start: 1 },
      refund: { prefix: 'RFD-', padding: 6, start: 1 },
      return: { prefix: 'RMA-', padding: 6, start: 1 },
    });
    expect(formatDocumentNumber(numbers.order.start, numbers.order)).toBe('100000001');
    expect(formatDocumentNumber(numbers.invoice.start, numbers.invoice)).toBe('INV-000001');
    expect(formatDocumentNumber(numbers.shipment.start, numbers.shipment)).toBe('SHP-000001');
    expect(formatDocumentNumber(numbers.refund.start, numbers.refund)).toBe('RFD-000001');
    expect(formatDocumentNumber(numbers.return.start, numbers.return)).toBe('RMA-000001');
  });
});
