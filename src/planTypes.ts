/**
 * The static types of a Plan: for each action name, the content `assign` takes
 * and the result its handle gives. `createPlan` and the builder infer them, so
 * `sequence.assign('Nope')`, `assign('Read', 42)` for a string content and a
 * follow-up naming an unknown action are compile errors. A Plan typed
 * `AnyActions` (for instance `plan as Plan`) accepts any name and content: the
 * escape hatch for plans built from data.
 */
import type { Priority } from '../machines/actionTypes.js';
import type { StandardSchemaV1 } from './schema.js';

/** The types of one action: what `assign` takes, what `handle.result` gives. */
export interface ActionTypes<Content = unknown, Result = unknown> {
  readonly content: Content;
  readonly result: Result;
}

/** Action name → its types. */
export type ActionMap = { readonly [name: string]: ActionTypes<any, any> };

/** A Plan whose names and types are not known statically: any name, any content, `unknown` results. */
export type AnyActions = { readonly [name: string]: ActionTypes<any, unknown> };

/** The action names of a Plan's types. */
export type ActionName<Actions extends ActionMap> = keyof Actions & string;

/** What `assign(name, content)` takes for `Name`. */
export type ContentOf<Actions extends ActionMap, Name extends ActionName<Actions>> = Actions[Name]['content'];

/** What `handle.result` resolves to for `Name`. */
export type ResultOf<Actions extends ActionMap, Name extends ActionName<Actions>> = Actions[Name]['result'];

/** The value `validate` gives (what the function receives) and the value it takes (what `assign` takes). */
export type SchemaOutput<Schema> = Schema extends StandardSchemaV1<any, infer Output> ? Output : unknown;
/** The value a schema takes. */
export type SchemaInput<Schema> = Schema extends StandardSchemaV1<infer Input, any> ? Input : unknown;

/** An entry of `createPlan` with its function. */
export interface RunEntry<Content, Result> {
  /** The action's function. */
  readonly run: (content: Content, ctx: any) => Result;
}

/** An entry of `createPlan` with a content schema. */
export interface SchemaEntry<Schema, Result> extends RunEntry<any, Result> {
  /** The content's Standard Schema. */
  readonly schema: Schema;
}

/** The types `createPlan` infers from one entry: a function, or `{ run, schema?, ... }`. */
export type TypesOfEntry<Entry> =
  Entry extends SchemaEntry<infer Schema extends StandardSchemaV1, infer Result>
    ? ActionTypes<SchemaInput<Schema>, Awaited<Result>>
    : Entry extends RunEntry<infer Content, infer Result>
      ? ActionTypes<Content, Awaited<Result>>
      : Entry extends (content: infer Content, ctx: any) => infer Result
        ? ActionTypes<Content, Awaited<Result>>
        : never;

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A follow-up (the seed's `NextAction`), assigned after its parent succeeds. Its `name`
 * must be an action of the Plan, and its content (given, or made from the parent's
 * output by `contentFrom`, or else the output itself) must be that action's content.
 */
export type FollowUpOf<Actions extends ActionMap, Output = unknown> = {
  [Name in ActionName<Actions>]: {
    readonly name: Name;
    /** The follow-up's content. @default the parent's output (see `contentFrom`) */
    readonly content?: ContentOf<Actions, Name>;
    /** Makes the follow-up's content from the parent's output. */
    // A method, so a typed Sequence stays assignable to a plain `Sequence` (parameters compare both ways).
    contentFrom?(output: Output): ContentOf<Actions, Name>;
    readonly metadata?: Readonly<Record<string, unknown>>;
    readonly priority?: Priority;
  };
}[ActionName<Actions>];

/** True when `undefined` may stand for the content (then it may be left out of `assign`). */
export type ContentIsOptional<Content> = undefined extends Content ? true : false;
