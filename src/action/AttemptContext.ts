/**
 * What an attempt's function receives as its context: its signal (aborted once
 * the attempt is over, with the reason it was stopped for), the action's
 * metadata, id, name and Life, and `progress`/`log` for the inspector.
 * @internal
 */
import { CancellationError } from '../errors.js';
import type { Life } from '../Life.js';
import type { RunContext } from '../Plan.js';
import { activityOf } from './ActionActivity.js';
import type { ActionRun } from './ActionRun.js';

/** The context an attempt's function receives. */
export class AttemptContext implements RunContext {
  readonly #run: ActionRun;
  readonly #phase: number;
  readonly attempt: number;

  constructor(run: ActionRun, attempt: number, phase: number) {
    this.#run = run;
    this.#phase = phase;
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (this.#run.isPhase(this.#phase)) return this.#run.signal();
    // This attempt is over (timed out, cancelled, or settled) before the function asked:
    // the signal is aborted, with the reason the attempt was stopped for when there was one.
    const reason =
      this.#run.abortReasonOf(this.#phase) ??
      new CancellationError(`Attempt ${this.attempt} of "${this.#run.name}" is over`, { reason: 'timeout', actionId: this.#run.id });
    return AbortSignal.abort(reason);
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.#run.metadata;
  }

  get action(): string {
    return this.#run.id;
  }

  get name(): string {
    return this.#run.name;
  }

  get life(): Life {
    return this.#run.services.life;
  }

  progress(value: unknown): void {
    activityOf(this.#run).progress(value, this.attempt);
  }

  log(message: string, data?: unknown): void {
    activityOf(this.#run).log(message, data, this.attempt);
  }
}
