import type { ValidateFunction } from 'ajv';
import { contract, toFieldErrors, type Operation } from '../../src/contract';

/**
 * The tests' response checker: every response a test receives is validated against
 * openapi.yaml (see world.ts: `world.api`, `contractFetch`). Returns what is wrong, [] when
 * the response conforms. A 500 never conforms; undocumented errors conform only if generic
 * (see GENERIC_*) and a Problem whose status is the response's.
 */

/**
 * Errors an operation may answer without documenting them (an unmatched route, content
 * negotiation, the database away), those only operations with a body may answer, and the
 * only ones a path or method the spec does not describe may get. 500 is in none of them: in
 * a test it is always a failure.
 */
const GENERIC_ANY_OPERATION = [404, 405, 406, 503];
const GENERIC_WITH_BODY = [413, 415];
const GENERIC_ANY_PATH = [404, 405, 503];

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const validators = new Map<string, ValidateFunction>();
const anything = (() => true) as unknown as ValidateFunction;

/** The validator of a response's body, or why no such response may exist. */
function responseSchema(operation: Operation | null, status: number, mediaType: string): ValidateFunction | string {
  const c = contract();
  const cacheKey = `${operation?.operationId}:${status}:${mediaType}`;
  const cached = validators.get(cacheKey);
  if (cached) return cached;
  let schema: unknown;
  // A 500 is a bug, whatever the spec says: no test may pass with one.
  if (status === 500) return `a 500 is a bug in the service, never an acceptable answer`;
  if (!operation) {
    // A path the spec does not describe (or a method it does not allow there).
    if (!GENERIC_ANY_PATH.includes(status)) return `a ${status} answer to a path or method the spec does not describe (only ${GENERIC_ANY_PATH.join(', ')})`;
    if (mediaType !== 'application/problem+json') return `an error must be application/problem+json, got ${mediaType}`;
    schema = PROBLEM;
  } else {
    const responses = c.document.paths[operation.path][operation.method.toLowerCase()].responses;
    let response = responses[String(status)] ?? responses.default;
    const generic = [...GENERIC_ANY_OPERATION, ...(operation.hasBody ? GENERIC_WITH_BODY : [])];
    // Generic errors any such operation may answer; they must still be Problem documents.
    if (!response && generic.includes(status)) response = { content: { 'application/problem+json': { schema: PROBLEM } } };
    if (!response) return `status ${status} is not documented for ${operation.operationId}`;
    if (response.$ref) response = c.document.components.responses[response.$ref.split('/').pop()];
    if (!response.content) return mediaType ? `${operation.operationId} ${status} documents no body, got ${mediaType}` : anything;
    const media = response.content[mediaType];
    if (!media) return `${operation.operationId} ${status}: content type ${mediaType} is not documented (${Object.keys(response.content).join(', ')})`;
    schema = media.schema;
  }
  const v = c.compile(schema);
  validators.set(cacheKey, v);
  return v;
}

export function validateResponse(operation: Operation | null, status: number, contentType: string | undefined, body: unknown): string[] {
  const mediaType = (contentType ?? '').split(';')[0].trim();
  const v = responseSchema(operation, status, mediaType);
  if (typeof v === 'string') return [v];
  if (mediaType === 'application/json' || mediaType === 'application/problem+json') {
    if (!v(body)) return toFieldErrors(v.errors).map((e) => `${e.field} ${e.message}`);
    const problemStatus = (body as { status?: unknown } | null)?.status;
    if (mediaType === 'application/problem+json' && problemStatus !== status) return [`the problem's status ${String(problemStatus)} is not the response's ${status}`];
    return [];
  }
  return v(body) ? [] : ['body does not match its schema'];
}
