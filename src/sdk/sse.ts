/**
 * Server-Sent Events framing (WHATWG HTML, "Interpreting an event stream"), enough for the
 * config stream: `event`, `data` (joined by "\n"), `id`; comments and `retry` are skipped.
 * The SDK reads the stream through fetch rather than EventSource, so it can send the key in
 * the Authorization header, in Node 20 (which has no EventSource) and in browsers alike.
 */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** The complete events in `buffer`, and the incomplete rest to keep for the next chunk. */
export function parseEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  let end: number;
  while ((end = text.indexOf('\n\n', start)) >= 0) {
    const block = text.slice(start, end);
    start = end + 2;
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length > 0) events.push({ event, data: data.join('\n'), id });
  }
  return { events, rest: text.slice(start) };
}
