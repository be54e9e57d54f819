/**
 * Input checks shared by the estimators. Invalid input is a bug or corrupt data upstream, so it
 * throws a RangeError naming the offending field (degenerate-but-valid input does not throw).
 * The arm checks also come without the throw (`binaryArmProblem`, …): a caller that reads arms
 * from stored data asks first, and says why when an arm is not valid input.
 */
import type { BinaryArm, CompareOptions, MeanArm, RatioArm } from './types';

function throwIf(problem: string | null): void {
  if (problem !== null) throw new RangeError(problem);
}

function finiteProblem(value: number, name: string): string | null {
  return typeof value !== 'number' || !Number.isFinite(value) ? `${name} must be a finite number, got ${String(value)}` : null;
}

function unitsProblem(units: number, name: string): string | null {
  return finiteProblem(units, name) ?? (units < 0 || !Number.isInteger(units) ? `${name} must be a non-negative integer, got ${units}` : null);
}

export function assertFinite(value: number, name: string): void {
  throwIf(finiteProblem(value, name));
}

export function assertUnits(units: number, name: string): void {
  throwIf(unitsProblem(units, name));
}

export function assertAlpha(alpha: number): void {
  assertFinite(alpha, 'alpha');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

export function assertProbability(p: number, name: string): void {
  assertFinite(p, name);
  if (p < 0 || p > 1) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
}

/** Why this is not a valid binary arm (the message assertBinaryArm throws), or null. */
export function binaryArmProblem(arm: BinaryArm, name: string): string | null {
  return (
    unitsProblem(arm.units, `${name}.units`) ??
    unitsProblem(arm.conversions, `${name}.conversions`) ??
    (arm.conversions > arm.units ? `${name}.conversions (${arm.conversions}) exceeds ${name}.units (${arm.units})` : null)
  );
}

/** Why this is not a valid mean arm (the message assertMeanArm throws), or null. */
export function meanArmProblem(arm: MeanArm, name: string): string | null {
  return (
    unitsProblem(arm.units, `${name}.units`) ??
    finiteProblem(arm.sum, `${name}.sum`) ??
    finiteProblem(arm.sumSquares, `${name}.sumSquares`) ??
    (arm.sumSquares < 0 ? `${name}.sumSquares must be >= 0, got ${arm.sumSquares}` : null)
  );
}

/** Why this is not a valid ratio arm (the message assertRatioArm throws), or null. */
export function ratioArmProblem(arm: RatioArm, name: string): string | null {
  const sums = ['numSum', 'numSumSquares', 'denSum', 'denSumSquares', 'crossSum'] as const;
  const notFinite = sums.map((key) => finiteProblem(arm[key], `${name}.${key}`)).find((p) => p !== null) ?? null;
  return (
    unitsProblem(arm.units, `${name}.units`) ??
    notFinite ??
    (arm.numSumSquares < 0 ? `${name}.numSumSquares must be >= 0` : null) ??
    (arm.denSumSquares < 0 ? `${name}.denSumSquares must be >= 0` : null)
  );
}

export function assertBinaryArm(arm: BinaryArm, name: string): void {
  throwIf(binaryArmProblem(arm, name));
}

export function assertMeanArm(arm: MeanArm, name: string): void {
  throwIf(meanArmProblem(arm, name));
}

export function assertRatioArm(arm: RatioArm, name: string): void {
  throwIf(ratioArmProblem(arm, name));
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
