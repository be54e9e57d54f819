import { LRUCache } from 'lru-cache';
import { invalid, notFound } from '../errors';
import type { Experiment } from '../model/experiment';
import { crossSums, experimentCells, streamCounts, streamIds, unitCounts } from '../store/count-store';
import type { Db } from '../store/db';
import { primaryOnly, type ReadRouter } from '../store/replica';
import { findExperiment, listExperiments, startedInTactic, tacticSummaries } from '../store/experiment-store';
import { computeResults, type ResultOptions, type Results } from './compute';
import { buildCounts, metricPlan, type Counts } from './counts';
import { dailyResults, type DailyResults } from './daily';
import { decide, type Decision, type DecisionOptions } from './decision';
import { systemClock, type Clock } from '../clock';
import { scorecard, type Scorecard, type ScorecardOptions } from './scorecard';

/**
 * Results of an experiment: counts read from the per-unit aggregates, then the statistics.
 * Counts are cached for a few seconds per experiment version (RESULTS_CACHE_SECONDS), so a
 * dashboard and CI polling at once cost one read; a change to the experiment is seen at once.
 */
export interface ResultsService {
  counts(key: string): Promise<Counts>;
  results(key: string, options?: ResultOptions): Promise<Results>;
  /** The cumulative results of one metric (default the primary) per day of first exposure. */
  daily(key: string, options?: { metric?: string }): Promise<DailyResults>;
  decision(key: string, options?: DecisionOptions): Promise<Decision>;
  tactics(): Promise<{ tactic: string; experiments: number; byStatus: Record<string, number> }[]>;
  scorecard(tactic: string, options?: ScorecardOptions): Promise<Scorecard>;
}

export async function readCounts(db: Db, e: Experiment & { id: number }, now = new Date()): Promise<Counts> {
  const { counting, ratios } = metricPlan(e);
  const ids = await streamIds(db, e.id);
  // Independent reads: on PostgreSQL they run at once on separate connections.
  const [cells, units, streams, ...cross] = await Promise.all([
    experimentCells(db, e.id),
    unitCounts(db, e.id),
    streamCounts(db, e.id, ids, counting, ratios),
    ...ratios.filter((r) => r.numerator.stream !== r.denominator.stream).map((r) => crossSums(db, e.id, ids, r)),
  ]);
  return buildCounts(e, { cells, units, streams, cross: cross.flat() }, now);
}

/** The count rows grouped also by day of first exposure (results/daily.ts). */
async function readDailyRows(db: Db, e: Experiment & { id: number }) {
  const { counting, ratios } = metricPlan(e);
  const ids = await streamIds(db, e.id);
  const [cells, units, streams, ...cross] = await Promise.all([
    experimentCells(db, e.id),
    unitCounts(db, e.id, true),
    streamCounts(db, e.id, ids, counting, ratios, true),
    ...ratios.filter((r) => r.numerator.stream !== r.denominator.stream).map((r) => crossSums(db, e.id, ids, r, true)),
  ]);
  return { cells, units, streams, cross: cross.flat() };
}

/** `reads`: where the counts are read (a caught-up read replica, else the primary: store/replica.ts). */
export function createResultsService(db: Db, cacheSeconds: number, reads: ReadRouter = primaryOnly(db), clock: Clock = systemClock): ResultsService {
  const cache = new LRUCache<string, { version: number; at: number; counts: Promise<Counts> }>({ max: 1000 });

  async function experiment(key: string) {
    const e = await findExperiment(db, key);
    if (!e) throw notFound(`no experiment with key "${key}"`);
    return e;
  }

  async function countsFor(e: Experiment & { id: number }): Promise<Counts> {
    const hit = cache.get(e.key);
    if (hit && hit.version === e.version && Date.now() - hit.at < cacheSeconds * 1000) return hit.counts;
    const counts = reads.run((source) => readCounts(source, e, clock.now()));
    cache.set(e.key, { version: e.version, at: Date.now(), counts });
    counts.catch(() => cache.delete(e.key));
    return counts;
  }

  const checkMetric = (e: Experiment, metric: string | undefined) => {
    if (metric && !e.metrics.some((m) => m.key === metric)) {
      throw invalid(`experiment "${e.key}" has no metric "${metric}"`, [{ field: 'query.metric', message: `is not one of ${e.metrics.map((m) => m.key).join(', ')}` }]);
    }
  };

  return {
    async counts(key) {
      return countsFor(await experiment(key));
    },
    async decision(key, options = {}) {
      const e = await experiment(key);
      checkMetric(e, options.metric);
      return decide(e, computeResults(e, await countsFor(e)), { now: clock.now(), ...options });
    },
    tactics: () => tacticSummaries(db),
    async scorecard(tactic, options = {}) {
      const experiments = await startedInTactic(db, tactic);
      if (experiments.length === 0 && (await listExperiments(db, { tactic, limit: 1 })).length === 0) {
        throw notFound(`no experiment validates tactic "${tactic}"`);
      }
      const now = clock.now();
      const scored = [];
      for (const e of experiments) {
        const results = computeResults(e, await countsFor(e));
        scored.push({ experiment: e, results, decision: decide(e, results, { now, minDays: options.minDays }) });
      }
      return scorecard(tactic, scored, now, options);
    },
    async daily(key, options = {}) {
      const e = await experiment(key);
      checkMetric(e, options.metric);
      const metric = options.metric ?? e.metrics.find((m) => m.role === 'primary')?.key ?? e.metrics[0].key;
      const rows = await reads.run((source) => readDailyRows(source, e));
      return dailyResults(e, metric, rows, new Date());
    },
    async results(key, options = {}) {
      const e = await experiment(key);
      checkMetric(e, options.metric);
      if (options.segment && !e.segments.includes(options.segment)) {
        throw invalid(`experiment "${key}" is not broken down by "${options.segment}"`, [
          { field: 'query.segment', message: `is not one of its segments (${e.segments.join(', ') || 'none'})` },
        ]);
      }
      return computeResults(e, await countsFor(e), options);
    },
  };
}
