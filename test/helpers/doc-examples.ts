import { readFileSync } from 'node:fs';

/**
 * The documentation's examples, as a test reads them: every fenced `sh` block that runs curl,
 * in document order, with the ```json block right after it (only blank lines between) as the
 * output it shows. Pure text handling; test/docs/readme-examples.test.ts runs them.
 */
export interface Example {
  /** Where the block starts, as `file:line`. */
  at: string;
  script: string;
  /** The output the documentation shows for it, if any (relaxed JSON, see `matchShown`). */
  shown?: { at: string; text: string };
}

interface Fence {
  file: string;
  line: number;
  lang: string;
  text: string;
  /** Line after the closing fence. */
  end: number;
}

function fences(file: string, markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```\s*([\w-]*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++]);
    out.push({ file, line: i + 1, lang: open[2].toLowerCase(), text: body.join('\n'), end: j + 1 });
    i = j;
  }
  return out;
}

const CURL = /(^|[\s;|&(])curl\s/m;

/** The curl examples of these markdown files, in order (file by file, top to bottom). */
export function extractExamples(files: readonly string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Example[] {
  const examples: Example[] = [];
  for (const file of files) {
    const markdown = read(file);
    const lines = markdown.split('\n');
    const all = fences(file, markdown);
    all.forEach((f, i) => {
      if (!['sh', 'bash', 'shell'].includes(f.lang) || !CURL.test(f.text)) return;
      const next = all[i + 1];
      const between = next ? lines.slice(f.end, next.line - 1) : [];
      const adjacent = next && next.lang === 'json' && between.every((l) => l.trim() === '');
      examples.push({ at: `${file}:${f.line}`, script: f.text, ...(adjacent ? { shown: { at: `${file}:${next.line}`, text: next.text } } : {}) });
    });
  }
  return examples;
}

/**
 * What a documented output may leave open, since it legitimately varies from run to run:
 * - `"..."` stands for any value;
 * - a string ending in `...` (`"vk_..."`, `"key_..."`) for any string with that beginning;
 * - a date-time string for any date-time;
 * - `[ ... ]` and `{ ... }` for any array or object;
 * - `...` as the last member of an object for any further members (otherwise an object must
 *   have exactly the members shown).
 * Everything else must be equal.
 */
const ANY = '\u0000any';
const MORE = '\u0000more';
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

export function parseShown(text: string): unknown {
  const json = text
    .replace(/\[\s*\.\.\.\s*\]/g, JSON.stringify(ANY))
    .replace(/\{\s*\.\.\.\s*\}/g, JSON.stringify(ANY))
    .replace(/,\s*\.\.\.\s*(?=\})/g, `, ${JSON.stringify(MORE)}: true`);
  return JSON.parse(json);
}

/** Where `actual` differs from the shown output (empty when it matches). */
export function matchShown(shown: unknown, actual: unknown, path = ''): string[] {
  const here = path || '/';
  if (shown === ANY || shown === '...') return [];
  if (typeof shown === 'string') {
    if (typeof actual !== 'string') return [`${here}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
    if (shown.endsWith('...')) return actual.startsWith(shown.slice(0, -3)) ? [] : [`${here}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
    if (DATE_TIME.test(shown)) return DATE_TIME.test(actual) ? [] : [`${here}: shown a date-time, got ${JSON.stringify(actual)}`];
    return shown === actual ? [] : [`${here}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return [`${here}: shown an array, got ${JSON.stringify(actual)}`];
    if (shown.length !== actual.length) return [`${here}: shown ${shown.length} items, got ${actual.length}: ${JSON.stringify(actual)}`];
    return shown.flatMap((s, i) => matchShown(s, actual[i], `${path}/${i}`));
  }
  if (typeof shown === 'object' && shown !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${here}: shown an object, got ${JSON.stringify(actual)}`];
    const s = shown as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(s)) {
      if (key === MORE) continue;
      if (!Object.hasOwn(a, key)) problems.push(`${path}/${key}: shown, but missing`);
      else problems.push(...matchShown(s[key], a[key], `${path}/${key}`));
    }
    if (!Object.hasOwn(s, MORE)) {
      for (const key of Object.keys(a)) if (!Object.hasOwn(s, key)) problems.push(`${path}/${key}: not shown, but answered ${JSON.stringify(a[key])}`);
    }
    return problems;
  }
  return Object.is(shown, actual) ? [] : [`${here}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
}
