import type { IncomingMessage } from 'node:http';

/**
 * Optimistic concurrency in HTTP's words (RFC 9110): a resource's version is its ETag, a
 * quoted number; a change sent with If-Match applies only to the versions it names. The
 * services speak of versions only.
 */
export const etagOf = (version: number): string => `"${version}"`;

/** A strong entity tag of ours: a version in quotes, written as etagOf writes it. */
const VERSION_TAG = /^"(0|[1-9][0-9]{0,15})"$/;

/**
 * The versions an If-Match header accepts: undefined when it is absent or holds `*` (any
 * version); otherwise the versions its strong tags name. Comparison is strong: a weak tag
 * (W/"2") or one this service never gave out names no version, so it never matches.
 */
export function expectedVersions(req: IncomingMessage): readonly number[] | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*')) return undefined;
  return tags.flatMap((t) => {
    const m = VERSION_TAG.exec(t);
    return m ? [Number(m[1])] : [];
  });
}
