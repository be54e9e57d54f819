/** Numbers for people: percentages with a sign, thousands separators, p-values as "0.003" or "< 0.001". */
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const NONE = '—';

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? NONE : integer.format(n));

/** A share as a percentage: 0.0823 -> "8.2 %". */
export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return `${new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x * 100)} %`;
}

/** A lift: 0.0823 -> "+8.2 %", -0.05 -> "−5.0 %". */
export function lift(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  const p = percent(Math.abs(x), digits);
  return x > 0 ? `+${p}` : x < 0 ? `−${p}` : p;
}

export function interval(ci: readonly number[] | null | undefined, digits = 1): string {
  if (!ci) return NONE;
  return `${lift(ci[0], digits)} to ${lift(ci[1], digits)}`;
}

export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return NONE;
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}

/** A metric's value for an arm: a rate as a percentage, a mean or ratio with 2 decimals. */
export function metricValue(type: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NONE;
  if (type === 'binary') return percent(v, 2);
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
}

export function days(d: number | null | undefined): string {
  if (d === null || d === undefined) return NONE;
  return d < 1 ? '< 1' : integer.format(Math.floor(d));
}

/** RFC 4180 CSV of a table's rows. */
export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
