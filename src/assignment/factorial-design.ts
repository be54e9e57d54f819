/**
 * Multivariate (full factorial) designs: every combination of one level per factor is a variant.
 * Order is stable, the first factor varying slowest; the key is the level keys joined by "."
 * (e.g. "generic.stock.none"); the weight is the product of the level weights (default 1 each,
 * normalised later by compile); the control is the combination of every factor's first level.
 * Limits: at least 1 factor, each with at least 2 levels, unique slug keys, at most 64 cells.
 */
import type { PathError } from './engine-types';

export interface FactorLevel {
  key: string;
  name?: string;
  weight?: number;
}

export interface Factor {
  key: string;
  name?: string;
  levels: FactorLevel[];
}

export interface FactorialVariant {
  key: string;
  name: string;
  weight: number;
  factors: Record<string, string>;
}

export interface FactorialDesign {
  variants: FactorialVariant[];
  control: string;
}

export type FactorialResult = { ok: true; design: FactorialDesign } | { ok: false; errors: PathError[] };

export const MAX_FACTORIAL_CELLS = 64;
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SLUG_MESSAGE = 'must be a slug: [a-z0-9][a-z0-9_-]*, at most 64 characters';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateLevel(level: unknown, path: string): PathError[] {
  if (!isObject(level)) return [{ path, message: 'must be an object' }];
  const errors: PathError[] = [];
  if (typeof level.key !== 'string' || !SLUG_PATTERN.test(level.key)) errors.push({ path: `${path}.key`, message: SLUG_MESSAGE });
  if (level.name !== undefined && (typeof level.name !== 'string' || level.name.length === 0)) {
    errors.push({ path: `${path}.name`, message: 'must be a non-empty string' });
  }
  const w = level.weight;
  if (w !== undefined && (typeof w !== 'number' || !Number.isFinite(w) || w <= 0)) {
    errors.push({ path: `${path}.weight`, message: 'must be a finite number > 0' });
  }
  return errors;
}

/** Field-path errors for a factor list (empty when `expandFactorial` will succeed). */
export function validateFactors(factors: unknown, path = 'factors'): PathError[] {
  if (!Array.isArray(factors) || factors.length === 0) return [{ path, message: 'must be a non-empty array' }];
  const errors: PathError[] = [];
  const factorKeys = new Set<string>();
  let cells = 1;
  factors.forEach((factor: unknown, i) => {
    const fp = `${path}[${i}]`;
    if (!isObject(factor)) {
      errors.push({ path: fp, message: 'must be an object' });
      return;
    }
    if (typeof factor.key !== 'string' || !SLUG_PATTERN.test(factor.key)) {
      errors.push({ path: `${fp}.key`, message: SLUG_MESSAGE });
    } else if (factorKeys.has(factor.key)) {
      errors.push({ path: `${fp}.key`, message: `duplicate factor key "${factor.key}"` });
    } else {
      factorKeys.add(factor.key);
    }
    if (factor.name !== undefined && (typeof factor.name !== 'string' || factor.name.length === 0)) {
      errors.push({ path: `${fp}.name`, message: 'must be a non-empty string' });
    }
    const levels = factor.levels;
    if (!Array.isArray(levels) || levels.length < 2) {
      errors.push({ path: `${fp}.levels`, message: 'must be an array of at least 2 levels' });
      return;
    }
    cells *= levels.length;
    const levelKeys = new Set<string>();
    levels.forEach((level: unknown, j) => {
      const lp = `${fp}.levels[${j}]`;
      errors.push(...validateLevel(level, lp));
      const key = isObject(level) ? level.key : undefined;
      if (typeof key === 'string' && SLUG_PATTERN.test(key)) {
        if (levelKeys.has(key)) errors.push({ path: `${lp}.key`, message: `duplicate level key "${key}"` });
        levelKeys.add(key);
      }
    });
  });
  if (cells > MAX_FACTORIAL_CELLS) {
    errors.push({ path, message: `${cells} cells: a full factorial may have at most ${MAX_FACTORIAL_CELLS}` });
  }
  return errors;
}

/** Expand factors into the full factorial, or return field-path errors (never throws). */
export function expandFactorial(factors: readonly Factor[]): FactorialResult {
  const errors = validateFactors(factors);
  if (errors.length > 0) return { ok: false, errors };

  type Cell = { keys: string[]; names: string[]; weight: number; factors: Record<string, string> };
  let cells: Cell[] = [{ keys: [], names: [], weight: 1, factors: {} }];
  for (const factor of factors) {
    const label = factor.name ?? factor.key;
    cells = cells.flatMap((cell) =>
      factor.levels.map((level) => ({
        keys: [...cell.keys, level.key],
        names: [...cell.names, `${label}: ${level.name ?? level.key}`],
        weight: cell.weight * (level.weight ?? 1),
        factors: { ...cell.factors, [factor.key]: level.key },
      })),
    );
  }
  const variants = cells.map((c) => ({ key: c.keys.join('.'), name: c.names.join(', '), weight: c.weight, factors: c.factors }));
  // The first cell is every factor's first level: the control.
  return { ok: true, design: { variants, control: variants[0].key } };
}
