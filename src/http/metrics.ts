import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Prometheus metrics of the HTTP layer, in the runtime's registry (beside Node's process
 * metrics and the services' own): request counts and latency by route (the spec's path
 * template, so ids do not explode the label set), method and status.
 */
export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Label children resolved once per (method, route, status): observing is then a plain add.
  const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  return {
    observe(method, route, status, seconds) {
      const id = `${method} ${route} ${status}`;
      let child = children.get(id);
      if (!child) {
        const labels = { method, route, status: String(status) };
        child = { count: requests.labels(labels), time: latency.labels(labels) };
        children.set(id, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
  };
}
