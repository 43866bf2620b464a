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
import type { RunningAttempt } from './RunningAttempt.js';

/** The context an attempt's function receives. */
export class AttemptContext implements RunContext {
  readonly #run: ActionRun;
  readonly #call: RunningAttempt;
  readonly attempt: number;

  constructor(run: ActionRun, call: RunningAttempt) {
    this.#run = run;
    this.#call = call;
    this.attempt = call.number;
  }

  get signal(): AbortSignal {
    // Aborted with the reason the attempt was stopped for; read first after it is over
    // without one (it succeeded, or the action settled), aborted all the same.
    return (
      this.#call.signal() ??
      AbortSignal.abort(new CancellationError(`Attempt ${this.attempt} of "${this.#run.name}" is over`, { reason: 'timeout', actionId: this.#run.id }))
    );
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
