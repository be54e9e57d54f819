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
const DISTRIBUTED = ['events', 'exposures', 'unit_metrics'];
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
 * The one departure, named: events are deduplicated by `event_id` alone (its primary key, and
 * the ON CONFLICT target of both inserts). Citus needs the key to include unit_id, so before
 * `create_distributed_table('events', 'unit_id')` the key becomes (unit_id, event_id): an
 * event id is then unique per unit, which every retry still is (docs/scaling.md).
 */
const BEFORE_DISTRIBUTING = new Set(['events:event_id']);

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
        else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((s) => '__X__' + s.literal.text).join('');
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
  const re = /\b(?:FROM|JOIN|INTO|UPDATE|USING)\s+(events|exposures|unit_metrics)\b(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|USING|SET|SELECT|GROUP|ORDER|LIMIT|RETURNING|LEFT|INNER|WITH|VALUES)([a-z_][a-z0-9_]*))?/gi;
  for (const m of sql.matchAll(re)) aliases.set(m[2] ?? m[1], m[1]);
  return aliases;
}

/** What Citus makes of a statement, or why it cannot run there. */
function judge(s: Statement): { kind: 'router or co-located' | 'per experiment' | 'reference only'; problems: string[] } {
  const aliases = distributedAliases(s.sql);
  if (aliases.size === 0) return { kind: 'reference only', problems: [] };
  const problems: string[] = [];
  // The table an INSERT writes is routed row by row by the unit_id it writes (checked below).
  const targets = new Set([...s.sql.matchAll(/INSERT INTO (events|exposures|unit_metrics)\b/gi)].map((m) => m[1]));
  let everyOnUnit = true;
  for (const [alias, table] of aliases) {
    if (alias === table && targets.has(table)) continue;
    // unit_id compared with a parameter, an array of them, or another table's unit_id (in either order).
    const own = aliases.size === 1 ? `(?:\\b${alias}\\.|(?<![a-z_.]))unit_id` : `\\b${alias}\\.unit_id`;
    const filtered =
      new RegExp(`${own}\\s*=\\s*(\\$\\d+|ANY\\s*\\(|[a-z_]+\\.unit_id)`, 'i').test(s.sql) || new RegExp(`[a-z_]+\\.unit_id\\s*=\\s*${own}`, 'i').test(s.sql);
    if (!filtered) everyOnUnit = false;
  }
  for (const m of s.sql.matchAll(/INSERT INTO (events|exposures|unit_metrics) \(([^)]*)\)/gi)) {
    if (!/\bunit_id\b/.test(m[2])) problems.push(`INSERT INTO ${m[1]} does not write unit_id`);
  }
  for (const m of s.sql.matchAll(/INSERT INTO (events|exposures|unit_metrics)\b[\s\S]*?ON CONFLICT \(([^)]*)\)/gi)) {
    if (!/\bunit_id\b/.test(m[2]) && !BEFORE_DISTRIBUTING.has(`${m[1]}:${m[2]}`)) problems.push(`ON CONFLICT (${m[2]}) on ${m[1]} does not include unit_id`);
  }
  if (everyOnUnit) return { kind: 'router or co-located', problems };
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
});
