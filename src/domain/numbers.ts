export interface NumberFormat {
  prefix: string;
  padding: number;
}

/** Formats a value of a gapless sequence as a document number: prefix plus the zero-padded value. */
export function formatDocumentNumber(value: number, format: NumberFormat): string {
  return `${format.prefix}${String(value).padStart(format.padding, '0')}`;
}
