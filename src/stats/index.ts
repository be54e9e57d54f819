/**
 * Public API of the statistics package (pure functions, no I/O). See .notes/stats-readme.md /
 * docs/results.md ("The statistics") for the methods and their sources.
 */
export * from './types';
export {
  normalCdf,
  normalSf,
  normalPdf,
  normalQuantile,
  normalTwoSidedP,
  studentTSf,
  studentTCdf,
  studentTPdf,
  studentTQuantile,
  studentTTwoSidedP,
  chiSquareSf,
  betaCdf,
  betaSf,
} from './distributions';
export { sampleVariance, sampleCovariance } from './moments';
export { binaryArmProblem, meanArmProblem, ratioArmProblem } from './validate';
export { proportionEstimate, proportionDifference, type ProportionEstimate } from './proportions';
export { wilsonInterval, newcombeDifference, newcombeStatistic, type NewcombeDifference } from './newcombe';
export { meanEstimate, meanDifference, welchDf, type MeanEstimate } from './welch';
export { ratioEstimate, ratioDifference, type RatioEstimate } from './ratio';
export { fiellerLift, relativeLiftEstimate, type RelativeLift } from './fieller';
export { logScaleLift, binaryLogLift, meanLogLift, type LogScaleLift } from './loglift';
export { fixedCriticalValue, fixedHorizonTest } from './fixed';
export {
  DEFAULT_SEQUENTIAL_TUNING,
  sequentialRho,
  sequentialCriticalValue,
  sequentialPValue,
  sequentialTest,
  pairPlannedSampleSize,
  type PairTuning,
} from './sequential';
export {
  betaPosterior,
  betaProbGreater,
  betaProbGreaterClosedForm,
  binaryChanceToBeatControl,
  binaryExpectedLoss,
  normalChanceToBeatControl,
  normalExpectedLoss,
  type BetaParams,
  type ExpectedLoss,
} from './bayes';
export { compareBinary, compareMeans, compareRatio, comparisonCriticalValue, unavailableComparison } from './compare';
export { sampleRatioMismatch, type SrmResult } from './srm';
export { holm, benjaminiHochberg } from './corrections';
export {
  powerBinary,
  powerMeans,
  powerRatio,
  unitsPerArmFor,
  unitsPerArmForLift,
  powerAdvice,
  type PowerOptions,
  type PowerResult,
  type PowerBaseline,
  type PowerAdvice,
  type PowerAdviceInput,
  type MetricDirection,
} from './power';
export { factorialEffects, type Factor, type FactorialCell, type FactorialEffect, type FactorialResult } from './factorial';
export {
  logRatioEffect,
  logRiskRatio,
  heterogeneity,
  metaFixed,
  metaRandomDL,
  type EffectSize,
  type LogRiskRatio,
  type Heterogeneity,
  type MetaResult,
} from './meta';
export { empiricalBayesDL, type EmpiricalBayes, type ShrunkEstimate, type ShrinkOptions } from './shrinkage';
