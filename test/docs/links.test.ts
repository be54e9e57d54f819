import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The README is the front door and the reference lives in docs/: every relative link between
 * them must lead somewhere, a file that exists and, when it names one, a heading that exists
 * (anchors as GitHub makes them). Pure text; no server.
 */
const PAGES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown without its fenced blocks and inline code, where a `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutFences = markdown.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('GitHub anchors are computed as GitHub computes them', () => {
  const a = anchors('# Verdict\n## Sending conversions and exposures: `POST /v1/events`\n### 7. Multivariate (full factorial)\n## Tests\n## Tests\n```sh\n# not a heading\n```\n');
  expect([...a]).toEqual(['verdict', 'sending-conversions-and-exposures-post-v1events', '7-multivariate-full-factorial', 'tests', 'tests-1']);
});

test('the README links every page of docs/', () => {
  const readme = prose(readFileSync('README.md', 'utf8'));
  const linked = PAGES.filter((p) => p !== 'README.md' && !readme.includes(`](${p}`));
  expect(linked).toEqual([]);
});

test('every relative link of the README and docs/ leads to a file and heading that exist', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    const text = prose(readFileSync(page, 'utf8'));
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [file, anchor] = target.split('#');
      const resolved = file ? path.normalize(path.join(path.dirname(page), file)) : page;
      if (!existsSync(resolved)) {
        broken.push(`${page}: ${target} (no file ${resolved})`);
        continue;
      }
      if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  expect(broken).toEqual([]);
});
