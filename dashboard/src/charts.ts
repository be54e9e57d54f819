import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { h } from './dom';
import { interval, lift } from './format';

/**
 * The charts, drawn by Chart.js (bundled; only the parts used are registered): the forest plot
 * of lifts with their intervals (per segment value, per experiment of a tactic) and the
 * cumulative lift with its confidence band over time. Colours come from the theme's CSS
 * variables, so they follow light and dark. Each chart has a text alternative; the numbers
 * are also in a table next to it.
 */
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Tooltip, Legend);

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
const pct = (v: number | string) => `${Number(v).toFixed(0)} %`;

export interface ForestRow {
  label: string;
  estimate: number | null;
  ci: readonly number[] | null;
  /** A second, shrunk estimate (empirical Bayes) when the API gives one. */
  shrunk?: { estimate: number | null; ci: readonly number[] | null };
}

/** Lifts as bars from the interval's lower to upper end, with a dot at the estimate; a line at 0. */
export function forestPlot(rows: readonly ForestRow[], label: string): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${label}: ${rows.map((r) => `${r.label} ${lift(r.estimate)} (${interval(r.ci)})`).join('; ')}` });
  const box = h('div', { class: 'chart forest' }, canvas);
  const withShrunk = rows.some((r) => r.shrunk);
  box.style.height = `${Math.max(140, rows.length * (withShrunk ? 44 : 32) + 70)}px`;
  const toPct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x * 100);
  const bar = (r: { ci: readonly number[] | null }) => (r.ci ? [toPct(r.ci[0]), toPct(r.ci[1])] : null);
  const datasets: ChartDataset<'bar' | 'line', unknown[]>[] = [
    { type: 'bar', label: withShrunk ? 'Raw interval' : '95 % CI', data: rows.map(bar), backgroundColor: css('--chart-1'), barThickness: 6, order: 2 },
    { type: 'line', label: withShrunk ? 'Raw lift' : 'Lift', data: rows.map((r) => toPct(r.estimate)), showLine: false, pointRadius: 5, pointBackgroundColor: css('--chart-1'), borderColor: css('--chart-1'), order: 1 },
  ];
  if (withShrunk) {
    datasets.push(
      { type: 'bar', label: 'Shrunk interval', data: rows.map((r) => (r.shrunk ? bar(r.shrunk) : null)), backgroundColor: css('--chart-2'), barThickness: 6, order: 2 },
      { type: 'line', label: 'Shrunk lift', data: rows.map((r) => toPct(r.shrunk?.estimate)), showLine: false, pointRadius: 5, pointStyle: 'rectRot', pointBackgroundColor: css('--chart-2'), borderColor: css('--chart-2'), order: 1 },
    );
  }
  new Chart(canvas, {
    type: 'bar',
    data: { labels: rows.map((r) => r.label), datasets: datasets as ChartDataset<'bar', unknown[]>[] },
    options: {
      indexAxis: 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, labels: { color: css('--fg') } }, tooltip: { enabled: true } },
      scales: {
        x: {
          title: { display: true, text: 'Relative lift', color: css('--fg') },
          ticks: { callback: pct, color: css('--fg') },
          grid: { color: (ctx) => (ctx.tick?.value === 0 ? css('--fg') : css('--grid')), lineWidth: (ctx) => (ctx.tick?.value === 0 ? 2 : 1) },
        },
        y: { ticks: { color: css('--fg') }, grid: { display: false } },
      },
    },
  });
  return box;
}

export interface TimePoint {
  date: string;
  estimate: number | null;
  ci: readonly number[] | null;
}

/** The cumulative lift per day with its confidence band. */
export function liftOverTime(points: readonly TimePoint[], label: string): HTMLElement {
  const last = points[points.length - 1];
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': `${label}, ${points.length} days; on ${last?.date ?? '—'}: ${lift(last?.estimate)} (${interval(last?.ci)})`,
  });
  const box = h('div', { class: 'chart over-time' }, canvas);
  const toPct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x * 100);
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: points.map((p) => p.date),
      datasets: [
        { label: 'Upper 95 %', data: points.map((p) => toPct(p.ci?.[1])), borderColor: 'transparent', pointRadius: 0, fill: false },
        { label: '95 % confidence band', data: points.map((p) => toPct(p.ci?.[0])), borderColor: 'transparent', backgroundColor: css('--band'), pointRadius: 0, fill: '-1' },
        { label: 'Cumulative lift', data: points.map((p) => toPct(p.estimate)), borderColor: css('--chart-1'), backgroundColor: css('--chart-1'), pointRadius: 2, borderWidth: 2 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      plugins: {
        legend: { labels: { color: css('--fg'), filter: (item) => item.text !== 'Upper 95 %' } },
      },
      scales: {
        x: { ticks: { color: css('--fg'), maxRotation: 0, autoSkip: true }, grid: { color: css('--grid') } },
        y: {
          title: { display: true, text: 'Relative lift', color: css('--fg') },
          ticks: { callback: pct, color: css('--fg') },
          grid: { color: (ctx) => (ctx.tick?.value === 0 ? css('--fg') : css('--grid')) },
        },
      },
    },
  });
  return box;
}
