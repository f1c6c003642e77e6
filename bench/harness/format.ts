/** A table of one scenario's results, printed to the console and written to RESULTS.md. */
export interface ResultTable {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Milliseconds, with precision that suits the magnitude. */
export function ms(value: number): string {
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

/** A plain count or rate, rounded. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A speed-up factor: `2.41x`, with `(slower)` when below 1. */
export function ratio(value: number): string {
  // Three decimals near 1, so a value just below 1 never prints as "1.00x (slower)".
  const shown = value.toFixed(Math.abs(value - 1) < 0.01 ? 3 : 2);
  return value >= 1 ? `${shown}x` : `${shown}x (slower)`;
}

/** A plain factor between two figures, `1.08x`, with no better or worse implied. */
export function factor(value: number): string {
  return `${value.toFixed(2)}x`;
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(table: ResultTable): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(table.headers),
    line(table.headers.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...table.rows.map(line),
  ].join('\n');
}
