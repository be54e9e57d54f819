import { readFileSync } from 'node:fs';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import type { FieldError } from '../errors';
import { openApiPath } from '../paths';
import { jsonDepthError, toFieldErrors } from './field-errors';

/**
 * openapi.yaml, read and parsed once, and the compiler for the schemas it holds: a schema
 * taken from anywhere in the document compiles with its `#/components/...` references
 * resolved. Everything else of the contract (operations, routes, the tests' response checker)
 * is built on this; a client that only validates a body (`verdict apply`) needs no more.
 */
// The parsed document is as the YAML says: its shape is checked by test/contract.
export type OpenApiDocument = Record<string, any>;

export interface Spec {
  /** The document as written (served at /openapi.yaml). */
  readonly text: string;
  readonly document: OpenApiDocument;
  /**
   * An ajv validator for a schema of the document. `coerce`: values arrive as text (path,
   * query, headers) and are converted in place to the schema's types, defaults filled in.
   */
  compile(schema: unknown, options?: { coerce?: boolean }): ValidateFunction;
  /** A validator for one of components.schemas (e.g. each event of a batch, validated alone). */
  schema(name: string): (value: unknown) => FieldError[];
}

function newAjv(coerce: boolean) {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: coerce,
  });
  addFormats(ajv);
  ajv.addKeyword('example');
  ajv.addKeyword('components');
  return ajv;
}

export function loadSpec(path = openApiPath): Spec {
  const text = readFileSync(path, 'utf8');
  const document = YAML.parse(text) as OpenApiDocument;
  const strictAjv = newAjv(false);
  const coercingAjv = newAjv(true);
  for (const ajv of [strictAjv, coercingAjv]) ajv.addSchema({ components: document.components }, 'spec');

  /** The schema with its references pointing into the document registered as `spec`. */
  const rebase = (schema: unknown): object => JSON.parse(JSON.stringify(schema ?? {}).replace(/"\$ref":"#\//g, '"$ref":"spec#/'));
  const compile: Spec['compile'] = (schema, options = {}) => (options.coerce ? coercingAjv : strictAjv).compile(rebase(schema));

  const schemaValidators = new Map<string, ValidateFunction>();
  return {
    text,
    document,
    compile,
    schema(name) {
      let v = schemaValidators.get(name);
      if (!v) {
        if (!document.components?.schemas?.[name]) throw new Error(`openapi.yaml has no schema ${name}`);
        v = compile({ $ref: `#/components/schemas/${name}` });
        schemaValidators.set(name, v);
      }
      const validate = v;
      return (value) => {
        const tooDeep = jsonDepthError(value);
        if (tooDeep) return [tooDeep];
        return validate(value) ? [] : toFieldErrors(validate.errors);
      };
    },
  };
}
