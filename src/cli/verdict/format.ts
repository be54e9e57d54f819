/**
 * Number and table formatting shared by the commands. Plain text only: the commands
 * print no colours, so output is the same in a terminal, a pipe and a CI log.
 */
export type Interval = number[] | null | undefined;

/** A relative change as a signed percentage: 0.123 -> "+12.3 %". */
export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const s = (x * 100).toFixed(digits);
  if (Number(s) === 0) return `${(0).toFixed(digits)} %`;
  return `${x > 0 ? '+' : ''}${s} %`;
}

/** A share (no sign): 0.5 -> "50.0 %". */
export function share(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return (x * 100).toFixed(digits) + ' %';
}

/** A p-value: four decimals, "< 0.0001" below that. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'n/a';
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
}

/** A p-value in a sentence: "p = 0.0123", "p < 0.0001". */
export function pText(p: number | null | undefined): string {
  const v = pValue(p);
  return v.startsWith('<') ? `p ${v}` : `p = ${v}`;
}

/** An interval of relative changes: "+2.1 % to +9.8 %". */
export function percentInterval(ci: Interval, digits = 1): string {
  if (!ci || ci.length !== 2) return 'n/a';
  return `${percent(ci[0], digits)} to ${percent(ci[1], digits)}`;
}

/** A metric value: rates and means with up to 4 decimals, large numbers grouped. */
export function value(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x)) return String(x);
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 1 : abs >= 1 ? 3 : 4;
  const s = x.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
}

/** The confidence level of a two-sided test at alpha: 0.05 -> "95 %". */
export function level(alpha: number): string {
  return `${+((1 - alpha) * 100).toFixed(2)} %`;
}

const NUMERIC = /^[+-]?(\d|< 0|n\/a$)/;

/**
 * Aligned columns: the header row, then rows; numbers (and "n/a") align right.
 * Each line is indented by `indent`.
 */
export function table(header: string[], rows: string[][], indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '') || r[i] === ''));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string[] {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

export const json = (data: unknown) => JSON.stringify(data, null, 2);

export function print(lines: string | string[]): void {
  const text = Array.isArray(lines) ? lines.join('\n') : lines;
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
