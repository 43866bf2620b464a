/**
 * Content schemas, through the Standard Schema interface (zod, valibot, arktype
 * and others implement it), so Echo depends on no schema library.
 */
import { ValidationError } from './errors.js';

/**
 * The part of Standard Schema v1 that Echo uses. `Input` is what `assign` takes,
 * `Output` what the action's function receives (they differ for transforming schemas).
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    /** Checks a value: its (possibly transformed) value, or the issues. */
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    /** Carries the static types only (never read at run time). */
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema's `validate` gives: the value, or the issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] }[] };

/** True when `value` looks like a Standard Schema. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === 'object' && value !== null && typeof (value as StandardSchemaV1)['~standard']?.validate === 'function';
}

/**
 * Validates `content` for action `name`; returns the (possibly transformed) value
 * or throws a ValidationError listing every issue.
 */
export function validateContent(schema: StandardSchemaV1, content: unknown, name: string): unknown {
  const result = schema['~standard'].validate(content);
  if (result instanceof Promise) {
    throw new TypeError(`The content schema of action "${name}" is asynchronous; Echo validates at assign time and needs a synchronous schema`);
  }
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((part) => {
      const key = typeof part === 'object' && part !== null ? part.key : part;
      return typeof key === 'number' ? key : String(key);
    }),
  }));
  const summary = issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  throw new ValidationError(`Content of action "${name}" is invalid: ${summary}`, { issues });
}
