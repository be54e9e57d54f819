import { compileOperations, type Operations } from './operations';
import { loadSpec, type Spec } from './spec';

/**
 * The contract: openapi.yaml, loaded once per process, with everything derived from it.
 *   spec.ts           reads and parses the document; compiles its schemas (ajv)
 *   operations.ts     the operations (scope, x-action, validators) and the route table
 *   parameters.ts     path, query and header parameters: validated as the text they arrive as
 *   field-errors.ts   ajv's errors as `{ field, message }`; the nesting limit of a body
 *   storable-text.ts  text the database cannot store, anywhere in a body
 *   schema.ts         the TypeScript types generated from openapi.yaml (npm run gen:api)
 * The HTTP layer serves it; the services, the CLI and the tests read it from here.
 */
export type Contract = Spec & Operations;

export function loadContract(path?: string): Contract {
  const spec = loadSpec(path);
  return { ...spec, ...compileOperations(spec) };
}

let shared: Contract | undefined;
/** The contract is immutable: parse and compile it once per process. */
export function contract(): Contract {
  shared ??= loadContract();
  return shared;
}

export type { Operation, OperationId, RouteMatch } from './operations';
export type { Spec } from './spec';
export { jsonDepthError, toFieldErrors, MAX_JSON_DEPTH } from './field-errors';
export { unstorableFields } from './storable-text';
