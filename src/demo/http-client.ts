import http from 'node:http';
import https from 'node:https';

/**
 * A small JSON client over keep-alive connections, for the demo's storefront traffic (many
 * small requests in parallel). Non-2xx answers throw with the server's problem detail.
 */
export interface Api {
  request<T = unknown>(method: string, path: string, key: string, body?: unknown): Promise<T>;
  close(): void;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function api(baseUrl: string, maxSockets = 32): Api {
  const base = new URL(baseUrl);
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets });
  const send = secure ? https.request : http.request;
  return {
    request<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const url = new URL(path, base);
      return new Promise<T>((resolve, reject) => {
        const req = send(
          url,
          {
            method,
            agent,
            headers: {
              Authorization: `Bearer ${key}`,
              Accept: 'application/json',
              ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const status = res.statusCode ?? 0;
              let parsed: unknown = undefined;
              try {
                parsed = text ? JSON.parse(text) : undefined;
              } catch {
                parsed = text;
              }
              if (status >= 200 && status < 300) return resolve(parsed as T);
              const problem = parsed as { detail?: string; title?: string; errors?: { field: string; message: string }[] } | undefined;
              const fields = problem?.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
              const detail = (problem?.detail ?? problem?.title ?? text) + (fields ? ` (${fields})` : '');
              reject(new ApiError(status, `${method} ${path}: ${status} ${detail}`));
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Runs `task` over `items` with at most `limit` in flight; resolves when all are done (rejects on the first failure). */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
