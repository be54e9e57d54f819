import type { components } from '../contract/schema';
import { api } from './http-client';
import type { Scenario } from './simulator';

export type Decision = components['schemas']['Decision'];
export type Results = components['schemas']['Results'];
export type Scorecard = components['schemas']['Scorecard'];

/** What the marketer reads after the run, fetched with a read key through the public API. */
export interface Report {
  metric: string;
  experiments: { key: string; name: string; tactic: string; decision: Decision; results: Results }[];
  tactics: { tactic: string; scorecard: Scorecard }[];
}

export async function readReport(url: string, readKey: string, s: Scenario, metric = 'purchase'): Promise<Report> {
  const client = api(url, 8);
  try {
    const experiments = await Promise.all(
      s.experiments.map(async (x) => {
        const key = x.definition.key;
        const [decision, results] = await Promise.all([
          client.request<Decision>('GET', `/v1/experiments/${key}/decision?metric=${metric}`, readKey),
          client.request<Results>('GET', `/v1/experiments/${key}/results?metric=${metric}`, readKey),
        ]);
        return { key, name: x.definition.name ?? key, tactic: x.definition.tactic ?? "", decision, results };
      }),
    );
    const tactics = [...new Set(s.experiments.map((x) => x.definition.tactic ?? ""))];
    const scorecards = await Promise.all(tactics.map(async (tactic) => ({ tactic, scorecard: await client.request<Scorecard>('GET', `/v1/tactics/${tactic}`, readKey) })));
    return { metric, experiments, tactics: scorecards };
  } finally {
    client.close();
  }
}
