import type { FieldError } from '../errors';
import { jsonDepthError, toFieldErrors } from './field-errors';
import { resolveParameter, sectionValidator, type SpecParameter } from './parameters';
import type { components, operations } from './schema';
import type { Spec } from './spec';

/**
 * The operations of openapi.yaml, each with what the server needs to serve it: its method
 * and path template, the scope it requires (x-scope), what it does in a user's words
 * (x-action), and validators for its parameters and body; and the route table that finds
 * the operation of a method and path (404 / 405 otherwise).
 */
export type OperationId = keyof operations;

export interface Operation {
  operationId: OperationId;
  method: string;
  /** The path as written in the spec, e.g. /v1/experiments/{key}. */
  path: string;
  /** Minimum scope (`admin` passes everywhere); null for public operations. */
  scope: components['schemas']['Scope'] | null;
  /** What it does, in a user's words ("creating an experiment"), from x-action; for messages. */
  action: string;
  hasBody: boolean;
  bodyRequired: boolean;
  validateParams: (input: { path: Record<string, string>; query: Record<string, unknown>; headers: Record<string, unknown> }) => {
    errors: FieldError[];
    query: Record<string, unknown>;
  };
  validateBody: (value: unknown) => FieldError[];
}

export interface RouteMatch {
  operation: Operation;
  /** Path parameters, percent-decoded, as the spec names them. */
  params: Record<string, string>;
  /** Parameters whose percent-encoding is not valid UTF-8 (kept as written in `params`). */
  undecodable: string[];
}

export interface Operations {
  operations: Operation[];
  /** The operation for method + path; `allowed` lists the methods when only the path matched. */
  match(method: string, path: string): RouteMatch | { allowed: string[] } | null;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export function compileOperations(spec: Spec): Operations {
  const { document } = spec;
  const operations: Operation[] = [];
  const routes: { regex: RegExp; names: string[]; byMethod: Map<string, Operation> }[] = [];

  for (const [path, item] of Object.entries<Record<string, any>>(document.paths ?? {})) {
    const names: string[] = [];
    const regex = new RegExp(
      '^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)')) + '/?$',
    );
    const byMethod = new Map<string, Operation>();
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: SpecParameter) => resolveParameter(document, p));
      const pathV = sectionValidator(spec, params, 'path');
      const queryV = sectionValidator(spec, params, 'query');
      const headerV = sectionValidator(spec, params, 'header');
      const body = op.requestBody?.content?.['application/json'];
      const bodyV = body ? spec.compile(body.schema) : null;
      const security = op.security ?? document.security;
      const operation: Operation = {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        scope: security && security.length > 0 ? ((op['x-scope'] as Operation['scope']) ?? 'admin') : null,
        action: (op['x-action'] as string | undefined) ?? `${method.toUpperCase()} ${path}`,
        hasBody: Boolean(body),
        bodyRequired: Boolean(op.requestBody?.required),
        validateParams: ({ path: pathParams, query, headers }) => {
          const q = { ...query };
          const errors = [...pathV({ ...pathParams }), ...queryV(q), ...headerV({ ...headers })];
          return { errors, query: q };
        },
        validateBody: (value) => {
          if (bodyV === null) return [];
          const tooDeep = jsonDepthError(value);
          if (tooDeep) return [tooDeep];
          return bodyV(value) ? [] : toFieldErrors(bodyV.errors);
        },
      };
      operations.push(operation);
      byMethod.set(operation.method, operation);
    }
    routes.push({ regex, names, byMethod });
  }

  return {
    operations,
    match(method, path) {
      for (const route of routes) {
        const m = route.regex.exec(path);
        if (!m) continue;
        const op = route.byMethod.get(method === 'HEAD' && !route.byMethod.has('HEAD') ? 'GET' : method);
        if (!op) return { allowed: [...route.byMethod.keys()] };
        const params: Record<string, string> = {};
        const undecodable: string[] = [];
        route.names.forEach((name, i) => {
          try {
            params[name] = decodeURIComponent(m[i + 1]);
          } catch {
            params[name] = m[i + 1];
            undecodable.push(name);
          }
        });
        return { operation: op, params, undecodable };
      }
      return null;
    },
  };
}
