import { BarChart, LineChart } from 'chartist';
import 'chartist/dist/index.css';
import { useEffect, useRef } from 'preact/hooks';

export interface MetricSeries {
  metric: string;
  kind: 'line' | 'bar';
  /** One entry per version, oldest first; null where the version has no value for the metric. */
  points: { version: string; value: number | null }[];
}

/** One metric across versions (Chartist, SVG). Marks `chart-rendered` on the performance timeline when drawn. */
export function MetricChart({ series }: { series: MetricSeries }) {
  const host = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(series);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = { labels: series.points.map((p) => `v${p.version}`), series: [series.points.map((p) => p.value)] };
    const values = series.points.map((p) => p.value).filter((v): v is number => v !== null);
    const spread = Math.max(...values) - Math.min(...values) || Math.abs(values[0] ?? 1) * 0.1 || 1;
    // Chartist writes `width: 100%; height: 260px;` as a style attribute: the gateway's CSP allows exactly that (web-assets.ts).
    const options = { width: '100%', height: '260px', fullWidth: true, chartPadding: { right: 30 }, low: Math.min(...values) - spread * 0.2, high: Math.max(...values) + spread * 0.2 };
    const chart = series.kind === 'line' ? new LineChart(el, data, { ...options, showArea: false }) : new BarChart(el, data, { ...options, referenceValue: options.low });
    chart.on('created', () => {
      el.dataset.rendered = String(values.length);
      performance.mark('chart-rendered', { detail: { metric: series.metric, points: values.length } });
    });
    return () => chart.detach();
  }, [key]);
  return <div class="chart" ref={host} data-metric={series.metric} data-kind={series.kind} aria-label={`${series.metric} across versions`} />;
}
