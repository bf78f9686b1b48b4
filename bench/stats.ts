// Medians and the plain-text table the benchmark prints.

export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median of a field over runs, ignoring runs without it. */
export function medianOf<T>(runs: readonly T[], pick: (run: T) => number | undefined): number {
  return median(runs.map(pick).filter((value): value is number => value !== undefined));
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

/** The median with the range: "142 ms (131–160 ms)". */
export function spread(values: readonly number[]): string {
  if (!values.length) return 'n/a';
  return `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : bytes >= 1e7 ? 1 : 2)} MB` : 'n/a';
}

export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(value >= 10 ? 0 : value >= 3 ? 1 : 2)}x` : 'n/a';
}

export type Row = readonly [label: string, measured: string, target?: string, status?: string] | readonly [section: string];

/** Sections (one-cell rows) and metric rows, aligned in columns. */
export function renderTable(rows: readonly Row[], header: readonly [string, string, string, string] = ['', 'measured (median)', 'target', '']): string {
  const metricRows = (rows.filter((row) => row.length > 1) as ReadonlyArray<readonly [string, string, string?, string?]>).map(
    ([label, measured, target, status]) => [`  ${label}`, measured, target, status] as const,
  );
  const widths = [0, 1, 2].map((column) => Math.max(header[column]!.length, ...metricRows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((width) => '-'.repeat(width)).concat('------'))];
  for (const row of rows) out.push(row.length === 1 ? row[0] : line([`  ${row[0]}`, row[1], row[2] ?? '', row[3] ?? '']));
  return out.join('\n');
}

/** met / MISSED for a measured value against a limit (lower is better). */
export function against(value: number, limit: number): string {
  if (!Number.isFinite(value)) return '?';
  return value <= limit ? 'met' : 'MISSED';
}
