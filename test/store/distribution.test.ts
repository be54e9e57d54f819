import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Beyond one PostgreSQL (docs/scaling.md, "Distributed PostgreSQL (Citus)"): the unit-level
 * tables are distributed by `unit_id`, everything else is a reference table. This test reads
 * every SQL statement in src/ (the string and template literals the TypeScript compiler finds;
 * `${...}` parts become a placeholder) and checks, for each statement that touches a
 * distributed table, what Citus needs of it:
 *
 *   - every distributed table in it is filtered on unit_id (`unit_id = $1`, `= ANY($1)`, a join
 *     with an unnest of unit ids: a router query, one shard per unit), or joined on unit_id to
 *     another distributed table (a co-located join, shard by shard); or, for the few reads and
 *     rebuilds of one whole experiment, it is listed in PER_EXPERIMENT below (one distributed
 *     table filtered on experiment_id: Citus runs it on every shard in parallel and merges the
 *     partial aggregates; no join between shards);
 *   - an INSERT into a distributed table writes unit_id (Citus routes each row by it);
 *   - an ON CONFLICT target on a distributed table includes unit_id (a unique constraint must
 *     include the distribution column).
 */
const DISTRIBUTED = ['events', 'event_ids', 'exposures', 'unit_metrics'];
const REFERENCE = ['experiments', 'cells', 'experiment_streams', 'api_keys', 'audit_log', 'erasures', 'database_identity', 'schema_migrations'];

/**
 * Statements that read or rewrite one whole experiment across every shard, by the function
 * that runs them (file: function). Each filters on experiment_id and touches one distributed
 * table, or joins distributed tables on unit_id.
 */
const PER_EXPERIMENT: Record<string, string> = {
  'count-store.ts:unitCounts': 'units per cell of an experiment (results)',
  'count-store.ts:streamCounts': 'sums per cell and stream (results)',
  'aggregate-store.ts:rebuildExperiment': 'reaggregate: delete and rebuild one experiment',
  'aggregate-store.ts:syncStreams': 'a metric removed from an experiment drops its aggregates',
  'exposure-store.ts:recentExposures': "warming a restarted instance's exposure cache",
  'exposure-store.ts:RECELLED': "a segment added to or removed from a running experiment: its exposures' segment breakdown rebuilt",
};

/**
 * events is partitioned by month (migrations/011_partitioned_events.sql); on Citus a partitioned
 * distributed table's partitions are distributed with it, shard by shard. Partition maintenance
 * (src/store/event-partitions.ts) names the partitions: events_default, and events_YYYY_MM,
 * which that file interpolates as `${name}` (always partitionName(month)). These statements work
 * on one whole partition, on every shard at once; listed by function like PER_EXPERIMENT.
 */
const PARTITION_MAINTENANCE: Record<string, string> = {
  'event-partitions.ts:defaultMonths': 'the months the default partition holds rows for (normally none)',
  'event-partitions.ts:createPartition': "a month's rows moved out of the default partition into its new partition",
  'event-partitions.ts:dropPartition': 'a month counted before it is dropped (retention)',
};
const PARTITIONS_FILE = 'event-partitions.ts';
/** The distributed tables and events' partitions, as the alias regex below names them. */
const TABLES = 'events|event_ids|exposures|unit_metrics|events_default|events_\\d{4}_\\d{2}';
const tableOf = (name: string) => (/^events_(default|\d{4}_\d{2})$/.test(name) ? 'events' : name);

interface Statement {
  file: string;
  fn: string;
  sql: string;
}

function statements(): Statement[] {
  const roots = ['src/store', 'src/events', 'src/results', 'src/experiments', 'src/keys', 'src/serving'];
  const out: Statement[] = [];
  for (const dir of roots) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const file = path.join(dir, name);
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node) => {
        let text: string | undefined;
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
        else if (ts.isTemplateExpression(node)) {
          // The partition maintenance interpolates a partition's name; elsewhere `${...}` is a placeholder.
          const hole = name === PARTITIONS_FILE ? 'events_2000_01' : '__X__';
          text = node.head.text + node.templateSpans.map((s) => hole + s.literal.text).join('');
        }
        if (text !== undefined && /\b(SELECT|INSERT|UPDATE|DELETE)\b/.test(text) && /\b(FROM|INTO|UPDATE)\b/.test(text)) {
          out.push({ file: name, fn: enclosingFunction(node), sql: text.replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').trim() });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return out;
}

/** The outermost named function (or top-level constant) around a node. */
function enclosingFunction(node: ts.Node): string {
  let name = '(top level)';
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) name = n.name.getText();
    else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && ts.isSourceFile(n.parent.parent.parent)) name = n.name.text;
    else if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && name === '(top level)') name = n.name.text;
  }
  return name;
}

/** The distributed tables a statement names, by alias. */
function distributedAliases(sql: string): Map<string, string> {
  const aliases = new Map<string, string>();
  const re = new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE|USING)\\s+(${TABLES})\\b(?:\\s+(?:AS\\s+)?(?!WHERE|JOIN|ON|USING|SET|SELECT|GROUP|ORDER|LIMIT|RETURNING|LEFT|INNER|WITH|VALUES)([a-z_][a-z0-9_]*))?`, 'gi');
  for (const m of sql.matchAll(re)) aliases.set(m[2] ?? m[1], m[1]);
  return aliases;
}

/** What Citus makes of a statement, or why it cannot run there. */
function judge(s: Statement): { kind: 'router or co-located' | 'per experiment' | 'partition maintenance' | 'reference only'; problems: string[] } {
  const aliases = distributedAliases(s.sql);
  if (aliases.size === 0) return { kind: 'reference only', problems: [] };
  const problems: string[] = [];
  // The table an INSERT writes is routed row by row by the unit_id it writes (checked below).
  const targets = new Set([...s.sql.matchAll(new RegExp(`INSERT INTO (${TABLES})\\b`, 'gi'))].map((m) => m[1]));
  let everyOnUnit = true;
  for (const [alias, table] of aliases) {
    if (alias === table && targets.has(table)) continue;
    // unit_id compared with a parameter, an array of them, or another table's unit_id (in either order).
    const own = aliases.size === 1 ? `(?:\\b${alias}\\.|(?<![a-z_.]))unit_id` : `\\b${alias}\\.unit_id`;
    const filtered =
      new RegExp(`${own}\\s*=\\s*(\\$\\d+|ANY\\s*\\(|[a-z_]+\\.unit_id)`, 'i').test(s.sql) || new RegExp(`[a-z_]+\\.unit_id\\s*=\\s*${own}`, 'i').test(s.sql);
    if (!filtered) everyOnUnit = false;
  }
  for (const m of s.sql.matchAll(new RegExp(`INSERT INTO (${TABLES}) \\(([^)]*)\\)`, 'gi'))) {
    if (!/\bunit_id\b/.test(m[2])) problems.push(`INSERT INTO ${m[1]} does not write unit_id`);
  }
  for (const m of s.sql.matchAll(new RegExp(`INSERT INTO (${TABLES})\\b[\\s\\S]*?ON CONFLICT \\(([^)]*)\\)`, 'gi'))) {
    if (!/\bunit_id\b/.test(m[2])) problems.push(`ON CONFLICT (${m[2]}) on ${m[1]} does not include unit_id`);
  }
  if (everyOnUnit) return { kind: 'router or co-located', problems };
  if (PARTITION_MAINTENANCE[`${s.file}:${s.fn}`]) {
    // Only events' partitions, whole: no other distributed table, no join.
    const others = [...aliases.values()].filter((t) => tableOf(t) !== 'events' || t === 'events');
    if (others.length) problems.push(`partition maintenance touches ${others.join(', ')}, not only partitions of events`);
    return { kind: 'partition maintenance', problems };
  }
  const listed = PER_EXPERIMENT[`${s.file}:${s.fn}`] ?? PER_EXPERIMENT[`${s.file}:*`];
  if (!listed) problems.push(`touches ${[...new Set(aliases.values())].join(', ')} without filtering or joining on unit_id`);
  else if (!/\bexperiment_id\s*=\s*(\$\d+|ANY\s*\(\$\d+)/.test(s.sql)) problems.push('a per-experiment statement that does not filter on experiment_id');
  // Joins between distributed tables must be on unit_id even here.
  if (aliases.size > 1 && !/\.unit_id\s*=\s*[a-z_]+\.unit_id/i.test(s.sql)) problems.push('joins distributed tables without unit_id');
  return { kind: 'per experiment', problems };
}

const all = statements();

test('the SQL of src/ is found: a statement on each table the schema has', () => {
  expect(all.length).toBeGreaterThan(40);
  for (const table of [...DISTRIBUTED, ...REFERENCE.filter((t) => t !== 'database_identity')]) {
    expect([table, all.some((s) => new RegExp(`\\b${table}\\b`).test(s.sql))]).toEqual([table, true]);
  }
});

test('every statement on a distributed table filters or joins on unit_id, or is a listed per-experiment statement', () => {
  const wrong = all.flatMap((s) => judge(s).problems.map((p) => `${s.file} ${s.fn}: ${p}\n    ${s.sql.slice(0, 300)}`));
  expect(wrong).toEqual([]);
});

test('the per-experiment list holds only statements that exist and need it', () => {
  const used = new Set(all.filter((s) => judge(s).kind === 'per experiment').map((s) => (PER_EXPERIMENT[`${s.file}:${s.fn}`] ? `${s.file}:${s.fn}` : `${s.file}:*`)));
  expect(Object.keys(PER_EXPERIMENT).filter((k) => !used.has(k))).toEqual([]);
});

test('the partition-maintenance list holds only statements that exist and need it, each on a partition of events', () => {
  const used = new Set(all.filter((s) => judge(s).kind === 'partition maintenance').map((s) => `${s.file}:${s.fn}`));
  expect(Object.keys(PARTITION_MAINTENANCE).filter((k) => !used.has(k))).toEqual([]);
  // Deduplication is co-located with the events: its key includes unit_id, and dropping a month's ids joins on it.
  const ids = all.filter((s) => /\bevent_ids\b/.test(s.sql));
  expect(ids.length).toBeGreaterThanOrEqual(3);
  for (const s of ids) expect([s.fn, judge(s).kind]).toEqual([s.fn, 'router or co-located']);
});

test('the checks catch what Citus refuses', () => {
  const one = (sql: string, fn = 'x') => judge({ file: 'x.ts', fn, sql }).problems;
  expect(one('SELECT count(*) FROM events WHERE name = $1')).not.toEqual([]);
  expect(one('SELECT * FROM exposures x JOIN unit_metrics u ON u.experiment_id = x.experiment_id WHERE x.unit_id = $1')).not.toEqual([]);
  expect(one('INSERT INTO events (event_id, name) VALUES ($1, $2)')).not.toEqual([]);
  expect(one('INSERT INTO exposures (experiment_id, unit_id) VALUES ($1, $2) ON CONFLICT (experiment_id) DO NOTHING')).not.toEqual([]);
  expect(one('INSERT INTO unit_metrics (unit_id, stream) SELECT unit_id, stream FROM t ON CONFLICT (stream) DO NOTHING')).not.toEqual([]);
  expect(one('SELECT * FROM events WHERE unit_id = $1')).toEqual([]);
  expect(one('DELETE FROM unit_metrics WHERE experiment_id = ANY($1::int[]) AND unit_id = $2')).toEqual([]);
  expect(one('SELECT * FROM events ev JOIN exposures x ON x.unit_id = ev.unit_id WHERE ev.unit_id = ANY($1)')).toEqual([]);
  expect(one('SELECT count(*) FROM exposures WHERE experiment_id = $1 GROUP BY cell')).not.toEqual([]);
  expect(one('INSERT INTO event_ids (unit_id, event_id) SELECT unit_id, event_id FROM input ON CONFLICT (event_id) DO NOTHING')).not.toEqual([]);
  expect(one('DELETE FROM event_ids d USING events_2026_01 e WHERE d.event_id = e.event_id')).not.toEqual([]);
  expect(one('SELECT count(*) FROM events_2026_01')).not.toEqual([]);
  expect(judge({ file: 'event-partitions.ts', fn: 'dropPartition', sql: 'SELECT count(*) FROM events_2026_01 e JOIN exposures x ON x.experiment_id = 1' }).problems).not.toEqual([]);
});
