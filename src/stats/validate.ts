/**
 * Input checks shared by the estimators. Invalid input is a bug or corrupt data upstream, so it
 * throws a RangeError naming the offending field (degenerate-but-valid input does not throw).
 */
import type { BinaryArm, CompareOptions, MeanArm, RatioArm } from './types';

export function assertFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${String(value)}`);
  }
}

export function assertUnits(units: number, name: string): void {
  assertFinite(units, name);
  if (units < 0 || !Number.isInteger(units)) {
    throw new RangeError(`${name} must be a non-negative integer, got ${units}`);
  }
}

export function assertAlpha(alpha: number): void {
  assertFinite(alpha, 'alpha');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

export function assertProbability(p: number, name: string): void {
  assertFinite(p, name);
  if (p < 0 || p > 1) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
}

export function assertBinaryArm(arm: BinaryArm, name: string): void {
  assertUnits(arm.units, `${name}.units`);
  assertUnits(arm.conversions, `${name}.conversions`);
  if (arm.conversions > arm.units) {
    throw new RangeError(`${name}.conversions (${arm.conversions}) exceeds ${name}.units (${arm.units})`);
  }
}

export function assertMeanArm(arm: MeanArm, name: string): void {
  assertUnits(arm.units, `${name}.units`);
  assertFinite(arm.sum, `${name}.sum`);
  assertFinite(arm.sumSquares, `${name}.sumSquares`);
  if (arm.sumSquares < 0) throw new RangeError(`${name}.sumSquares must be >= 0, got ${arm.sumSquares}`);
}

export function assertRatioArm(arm: RatioArm, name: string): void {
  assertUnits(arm.units, `${name}.units`);
  for (const key of ['numSum', 'numSumSquares', 'denSum', 'denSumSquares', 'crossSum'] as const) {
    assertFinite(arm[key], `${name}.${key}`);
  }
  if (arm.numSumSquares < 0) throw new RangeError(`${name}.numSumSquares must be >= 0`);
  if (arm.denSumSquares < 0) throw new RangeError(`${name}.denSumSquares must be >= 0`);
}

export function assertOptions(opts: CompareOptions): void {
  assertAlpha(opts.alpha);
  if (opts.analysis !== 'fixed' && opts.analysis !== 'sequential') {
    throw new RangeError(`analysis must be 'fixed' or 'sequential', got ${String(opts.analysis)}`);
  }
  if (opts.binaryInterval !== undefined && opts.binaryInterval !== 'wald' && opts.binaryInterval !== 'newcombe') {
    throw new RangeError(`binaryInterval must be 'wald' or 'newcombe', got ${String(opts.binaryInterval)}`);
  }
  if (opts.relativeInterval !== undefined && opts.relativeInterval !== 'fieller' && opts.relativeInterval !== 'log') {
    throw new RangeError(`relativeInterval must be 'fieller' or 'log', got ${String(opts.relativeInterval)}`);
  }
  if (opts.plannedSampleSize !== undefined) {
    assertFinite(opts.plannedSampleSize, 'plannedSampleSize');
    if (opts.plannedSampleSize <= 0) {
      throw new RangeError(`plannedSampleSize must be > 0, got ${opts.plannedSampleSize}`);
    }
  }
}
