/**
 * One look at a Server-Sent Events endpoint (GET /v1/config/stream never ends): the status,
 * the headers and, for an event stream, its first event; any other answer (a problem) read
 * whole. The connection is closed after that, so a test never waits on an open stream.
 */
export interface StreamLook {
  status: number;
  headers: Headers;
  /** The first event's fields (event, id, data) of an event stream; null for another answer. */
  first: Record<string, string> | null;
  /** The body of an answer that is not an event stream (JSON parsed when it is JSON). */
  body: unknown;
}

export async function lookAtStream(url: string, headers: Record<string, string> = {}): Promise<StreamLook> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, first: null, body };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const fields: Record<string, string> = {};
        for (const line of buffer.slice(0, end).split('\n')) {
          const i = line.indexOf(':');
          if (i > 0) fields[line.slice(0, i)] = (fields[line.slice(0, i)] ?? '') + line.slice(i + 1).replace(/^ /, '');
        }
        // A block of comments only (keep-alive) or the retry hint alone: read on.
        if (fields.event || fields.data) return { status: res.status, headers: res.headers, first: fields, body: undefined };
        buffer = buffer.slice(end + 2);
        continue;
      }
      const { done, value } = await reader.read();
      if (done) return { status: res.status, headers: res.headers, first: null, body: buffer };
      buffer += decoder.decode(value, { stream: true });
    }
  } finally {
    abort.abort();
  }
}
