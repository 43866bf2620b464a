/**
 * The new rows of one commit, inserted `INSERT_BATCH` at a time by one multi-row
 * INSERT (a statement's fixed cost paid once per 64 rows), the rest one by one.
 * Rows keep their order (their `seq` is assignment order).
 * @internal
 */
import { INSERT_BATCH, INSERT_VALUES, type Statements } from './sqliteLayout.js';

export class RowInserts {
  readonly #sql: Statements;
  /** The values of the rows not inserted yet, row after row. */
  readonly #values: unknown[] = [];

  constructor(sql: Statements) {
    this.#sql = sql;
  }

  /** Adds a row (its values in the order of `INSERT_INTO`, sqliteLayout.ts); a full batch of rows is inserted at once. */
  add(
    id: string, state: string, shape: number, content: string | null, createdAt: number, extra: string | null, idem: string | null,
    attempts: string, retryAt: number | null, activity: string | null, status: string | null, output: string | null, error: string | null, settledAt: number | null,
  ): void {
    const values = this.#values;
    values.push(id, state, shape, content, createdAt, extra, idem, attempts, retryAt, activity, status, output, error, settledAt);
    if (values.length === INSERT_BATCH * INSERT_VALUES) {
      this.#sql.insertMany.run(values);
      values.length = 0;
    }
  }

  /** Inserts the rows added and not inserted yet (fewer than a batch), one by one. */
  drain(): void {
    const values = this.#values;
    for (let i = 0; i < values.length; i += INSERT_VALUES) this.#sql.insert.run(values.slice(i, i + INSERT_VALUES));
    values.length = 0;
  }

  /** Forgets the rows not inserted (their transaction rolled back). */
  clear(): void {
    this.#values.length = 0;
  }
}
