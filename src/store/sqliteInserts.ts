/**
 * The new rows of one commit, inserted `INSERT_BATCH` at a time by one multi-row
 * INSERT (a statement's fixed cost paid once per 64 rows), the rest one by one.
 * A plain row (no extras, idempotency key, retry, activity or error: most rows)
 * binds only its 9 other values, the NULLs left to the columns' default (binding
 * 14 values cost about a third more per row). Rows keep their order (their `seq`
 * is assignment order): a row of the other kind inserts the ones before it first.
 * @internal
 */
import { INSERT_BATCH, INSERT_VALUES, PLAIN_VALUES, type Statements } from './sqliteLayout.js';

export class RowInserts {
  readonly #sql: Statements;
  /** The values of the rows not inserted yet, row after row, all of one kind. */
  readonly #values: unknown[] = [];
  /** Whether the rows not inserted yet are plain ones. */
  #plain = true;

  constructor(sql: Statements) {
    this.#sql = sql;
  }

  /** Adds a row (its values in the order of `INSERT_INTO`, sqliteLayout.ts); a full batch of rows is inserted at once. */
  add(
    id: string, state: string, shape: number, content: string | null, createdAt: number, extra: string | null, idem: string | null,
    attempts: string, retryAt: number | null, activity: string | null, status: string | null, output: string | null, error: string | null, settledAt: number | null,
  ): void {
    const plain = extra === null && idem === null && retryAt === null && activity === null && error === null;
    if (plain !== this.#plain) {
      this.drain();
      this.#plain = plain;
    }
    const values = this.#values;
    if (plain) values.push(id, state, shape, content, createdAt, attempts, status, output, settledAt);
    else values.push(id, state, shape, content, createdAt, extra, idem, attempts, retryAt, activity, status, output, error, settledAt);
    if (values.length === INSERT_BATCH * (plain ? PLAIN_VALUES : INSERT_VALUES)) {
      (plain ? this.#sql.insertPlainMany : this.#sql.insertMany).run(values);
      values.length = 0;
    }
  }

  /** Inserts the rows added and not inserted yet (fewer than a batch), one by one. */
  drain(): void {
    const values = this.#values;
    const [statement, count] = this.#plain ? [this.#sql.insertPlain, PLAIN_VALUES] : [this.#sql.insert, INSERT_VALUES];
    for (let i = 0; i < values.length; i += count) statement.run(values.slice(i, i + count));
    values.length = 0;
  }

  /** Forgets the rows not inserted (their transaction rolled back). */
  clear(): void {
    this.#values.length = 0;
  }
}
