import { api, ApiError, type Experiment } from './api';
import { h } from './dom';

/**
 * Create (and edit) an experiment: variants or factors, metrics with type, role and direction,
 * segments, coverage, targeting. Each input names the field of the API's body it fills
 * (data-field, a JSON pointer), so the API's field errors are shown next to those inputs.
 */
type Body = Record<string, unknown>;

let uid = 0;
const id = (p: string) => `${p}-${++uid}`;

function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  input.id ||= id('f');
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('div', { class: 'hint' }, hint) : null);
}
const input = (pointer: string, attrs: Record<string, string | number | boolean> = {}) => h('input', { 'data-field': pointer, ...attrs });
const select = (pointer: string, options: string[], value?: string) =>
  h('select', { 'data-field': pointer }, options.map((o) => h('option', { value: o, selected: o === value }, o)));

export function formPage(existing?: Experiment): HTMLElement {
  const editing = !!existing;
  const errors = h('div', { class: 'form-errors', role: 'alert', 'aria-live': 'assertive' });
  const key = input('/key', { required: true, pattern: '[a-z0-9][a-z0-9_\\-]*', value: existing?.key ?? '', disabled: editing });
  const name = input('/name', { required: true, value: existing?.name ?? '' });
  const tactic = input('/tactic', { required: true, value: existing?.tactic ?? '', list: 'tactic-list' });
  const hypothesis = h('textarea', { 'data-field': '/hypothesis', rows: 2 }, existing?.hypothesis ?? '');

  // Design: variants (A/B/n) or factors (multivariate).
  const useFactors = h('input', { type: 'checkbox', id: 'use-factors', checked: !!existing?.factors });
  const variantRows = h('div', { class: 'rows', 'data-field': '/variants' });
  const factorRows = h('div', { class: 'rows', 'data-field': '/factors' });
  const addVariant = (v?: { key: string; name: string; weight: number; control?: boolean }) => {
    const i = variantRows.children.length;
    variantRows.appendChild(
      h(
        'fieldset',
        { class: 'row variant' },
        h('legend', {}, `Variant ${i + 1}`),
        field('Key', input(`/variants/${i}/key`, { value: v?.key ?? '', required: true })),
        field('Name', input(`/variants/${i}/name`, { value: v?.name ?? '' })),
        field('Weight', input(`/variants/${i}/weight`, { type: 'number', step: 'any', value: v?.weight ?? 1 })),
        field('Control', h('input', { type: 'radio', name: 'control', 'data-field': `/variants/${i}/control`, checked: v?.control ?? i === 0 })),
      ),
    );
  };
  const addFactor = (f?: { key: string; levels: { key: string }[] }) => {
    const i = factorRows.children.length;
    factorRows.appendChild(
      h(
        'fieldset',
        { class: 'row factor' },
        h('legend', {}, `Factor ${i + 1}`),
        field('Key', input(`/factors/${i}/key`, { value: f?.key ?? '' })),
        field('Levels', input(`/factors/${i}/levels`, { value: f?.levels.map((l) => l.key).join(', ') ?? '' }), 'Comma-separated; the first is the baseline.'),
      ),
    );
  };
  if (existing?.factors) existing.factors.forEach(addFactor);
  else if (existing) existing.variants.forEach(addVariant);
  else {
    addVariant({ key: 'control', name: 'Control', weight: 1, control: true });
    addVariant({ key: 'personalized', name: 'Personalized', weight: 1 });
    addFactor();
    addFactor();
  }
  if (existing && !existing.factors) addFactor();

  const metricRows = h('div', { class: 'rows', 'data-field': '/metrics' });
  const addMetric = (m?: Experiment['metrics'][number]) => {
    const i = metricRows.children.length;
    metricRows.appendChild(
      h(
        'fieldset',
        { class: 'row metric' },
        h('legend', {}, `Metric ${i + 1}`),
        field('Key', input(`/metrics/${i}/key`, { value: m?.key ?? '' })),
        field('Name', input(`/metrics/${i}/name`, { value: m?.name ?? '' })),
        field('Type', select(`/metrics/${i}/type`, ['binary', 'count', 'revenue', 'ratio'], m?.type)),
        field('Role', select(`/metrics/${i}/role`, ['primary', 'secondary', 'guardrail'], m?.role ?? (i === 0 ? 'primary' : 'secondary'))),
        field('Good direction', select(`/metrics/${i}/direction`, ['increase', 'decrease'], m?.direction)),
        field('Event', input(`/metrics/${i}/event`, { value: m?.event ?? '', placeholder: 'default: the key' })),
        field('Numerator', input(`/metrics/${i}/numerator`, { value: m?.numerator ?? '', placeholder: 'ratio only' })),
        field('Denominator', input(`/metrics/${i}/denominator`, { value: m?.denominator ?? '', placeholder: 'ratio only' })),
      ),
    );
  };
  if (existing) existing.metrics.forEach(addMetric);
  else addMetric({ key: 'purchase', name: '', type: 'binary', role: 'primary', direction: 'increase' });

  const segments = input('/segments', { value: existing?.segments.join(', ') ?? 'device, channel, lifecycle' });
  const coverage = input('/coverage', { type: 'number', min: 0, max: 100, step: 'any', value: existing ? existing.coverage * 100 : 100 });
  const targeting = h('textarea', { 'data-field': '/targeting', rows: 3, placeholder: '{ "attribute": "country", "op": "eq", "value": "FR" }' }, existing?.targeting ? JSON.stringify(existing.targeting) : '');
  const analysis = select('/analysis', ['sequential', 'fixed'], existing?.analysis);

  const syncDesign = () => {
    variantRows.parentElement?.classList.toggle('hidden', useFactors.checked);
    factorRows.parentElement?.classList.toggle('hidden', !useFactors.checked);
  };
  useFactors.addEventListener('change', syncDesign);

  const read = (pointer: string) => (form.querySelector(`[data-field="${pointer}"]`) as HTMLInputElement | null)?.value.trim() ?? '';
  const bodyOf = (): Body => {
    const b: Body = { name: name.value.trim(), tactic: tactic.value.trim() };
    if (!editing) b.key = key.value.trim();
    if (hypothesis.value.trim() || editing) b.hypothesis = hypothesis.value.trim();
    if (useFactors.checked) {
      b.factors = [...factorRows.children].map((_, i) => ({ key: read(`/factors/${i}/key`), levels: read(`/factors/${i}/levels`).split(',').map((s) => s.trim()).filter(Boolean).map((k) => ({ key: k })) })).filter((f) => f.key || f.levels.length);
    } else {
      b.variants = [...variantRows.children].map((row, i) => {
        const v: Body = { key: read(`/variants/${i}/key`), name: read(`/variants/${i}/name`) || read(`/variants/${i}/key`), weight: Number(read(`/variants/${i}/weight`)) };
        if ((row.querySelector('input[type=radio]') as HTMLInputElement).checked) v.control = true;
        return v;
      });
    }
    b.metrics = [...metricRows.children].map((_, i) => {
      const m: Body = { key: read(`/metrics/${i}/key`), type: read(`/metrics/${i}/type`), role: read(`/metrics/${i}/role`), direction: read(`/metrics/${i}/direction`) };
      for (const k of ['name', 'event', 'numerator', 'denominator']) if (read(`/metrics/${i}/${k}`)) m[k] = read(`/metrics/${i}/${k}`);
      return m;
    });
    b.segments = segments.value.split(',').map((s) => s.trim()).filter(Boolean);
    b.coverage = Number(coverage.value) / 100;
    b.analysis = analysis.value;
    return b;
  };

  const clearErrors = () => {
    errors.replaceChildren();
    for (const el of form.querySelectorAll('.field-error')) el.remove();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };
  /** Puts each field error next to the input its pointer names (or its closest named ancestor); the rest on top. */
  const showErrors = (detail: string, list: { field: string; message: string }[]) => {
    const loose: string[] = [];
    for (const e of list) {
      let pointer = e.field;
      let el: HTMLElement | null = null;
      while (pointer && !(el = form.querySelector(`[data-field="${CSS.escape(pointer)}"]`))) pointer = pointer.slice(0, Math.max(0, pointer.lastIndexOf('/')));
      if (!el) {
        loose.push(`${e.field}: ${e.message}`);
        continue;
      }
      const msg = h('div', { class: 'field-error', id: id('err') }, e.message);
      el.setAttribute('aria-invalid', 'true');
      el.setAttribute('aria-describedby', msg.id);
      el.insertAdjacentElement('afterend', msg);
    }
    errors.replaceChildren(h('p', {}, detail), loose.length ? h('ul', {}, loose.map((l) => h('li', {}, l))) : '');
  };

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'experiment-form',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearErrors();
        const body = bodyOf();
        if (targeting.value.trim()) {
          try {
            body.targeting = JSON.parse(targeting.value);
          } catch {
            return showErrors('The form has a problem.', [{ field: '/targeting', message: 'is not valid JSON' }]);
          }
        } else if (editing && existing?.targeting) body.targeting = null;
        try {
          const saved = editing ? await api.update(existing.key, changed(existing, body)) : await api.create(body);
          location.hash = `#/experiments/${encodeURIComponent(saved.key)}`;
        } catch (err) {
          if (err instanceof ApiError) showErrors(err.problem?.detail ?? err.message, err.problem?.errors ?? []);
          else showErrors(String(err), []);
        }
      },
    },
    errors,
    h('div', { class: 'grid' }, field('Key', key, 'Lower-case letters, digits, - and _; it names the experiment in URLs.'), field('Name', name), field('Tactic', tactic, 'e.g. personalized-recommendations'), field('Hypothesis', hypothesis)),
    h('div', { class: 'check' }, useFactors, h('label', { for: 'use-factors' }, 'Multivariate design (factors instead of variants)')),
    h('section', {}, h('h2', {}, 'Variants'), variantRows, h('button', { type: 'button', class: 'secondary', onclick: () => addVariant() }, 'Add a variant')),
    h('section', {}, h('h2', {}, 'Factors'), factorRows, h('button', { type: 'button', class: 'secondary', onclick: () => addFactor() }, 'Add a factor')),
    h('section', {}, h('h2', {}, 'Metrics'), metricRows, h('button', { type: 'button', class: 'secondary', onclick: () => addMetric() }, 'Add a metric')),
    h('section', {}, h('h2', {}, 'Audience'), h('div', { class: 'grid' }, field('Segments', segments, 'Attributes results are broken down by, comma-separated.'), field('Coverage (%)', coverage, 'Share of eligible traffic in the experiment.'), field('Targeting (JSON)', targeting, 'Optional: who is eligible.'), field('Analysis', analysis, 'sequential: safe to check every day.'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, editing ? 'Save changes' : 'Create experiment'), h('a', { class: 'button secondary', href: editing ? `#/experiments/${encodeURIComponent(existing.key)}` : '#/' }, 'Cancel')),
  );
  queueMicrotask(syncDesign);
  const page = h('div', {}, h('h1', {}, editing ? `Edit ${existing.name}` : 'New experiment'), form, h('datalist', { id: 'tactic-list' }));
  api.tactics().then((ts) => page.querySelector('datalist')?.replaceChildren(...ts.map((t) => h('option', { value: t.tactic })))).catch(() => undefined);
  return page;
}

/** The fields of an edit that differ from the experiment as it is (a PATCH sends only those). */
function changed(e: Experiment, body: Body): Body {
  const now: Body = { name: e.name, tactic: e.tactic, hypothesis: e.hypothesis, segments: e.segments, coverage: e.coverage, analysis: e.analysis, targeting: e.targeting };
  const out: Body = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'variants' || k === 'factors' || k === 'metrics') {
      const before =
        k === 'variants'
          ? e.variants.map((x) => ({ key: x.key, name: x.name, weight: x.weight, ...(x.control ? { control: true } : {}) }))
          : k === 'factors'
            ? e.factors?.map((f) => ({ key: f.key, levels: f.levels.map((l) => ({ key: l.key })) }))
            : e.metrics.map((m) => {
                const x: Body = { key: m.key, type: m.type, role: m.role, direction: m.direction };
                for (const f of ['name', 'event', 'numerator', 'denominator'] as const) if (m[f]) x[f] = m[f];
                return x;
              });
      if (JSON.stringify(v) !== JSON.stringify(before)) out[k] = v;
    } else if (JSON.stringify(v) !== JSON.stringify(now[k])) out[k] = v;
  }
  return Object.keys(out).length ? out : { name: e.name };
}
