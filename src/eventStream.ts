/**
 * The Observable behind `sequence.events$`: an rxjs Observable whose subscribers
 * cannot break the runtime. rxjs reports a throwing subscriber on a later
 * macrotask as an uncaught exception; here each subscriber's `next`, `error` and
 * `complete` run inside a try/catch and what they throw goes to the Sequence's
 * `onError`. Operators (`pipe`) keep the containment: `lift` makes the piped
 * Observable of this class too, so the final subscriber is contained as well,
 * and an error notification nobody handles goes to `onError` rather than to rxjs's
 * uncaught report.
 * @internal
 */
import { Observable, Subscriber, type Observer, type Operator, type Subscription } from 'rxjs';
import { messageOf } from './errors.js';

export class ContainedObservable<T> extends Observable<T> {
  readonly #report: (error: unknown) => void;

  constructor(report: (error: unknown) => void, subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => unknown) {
    super(subscribe as never);
    this.#report = report;
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new ContainedObservable<R>(this.#report);
    lifted.source = this;
    lifted.operator = operator;
    return lifted;
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    return super.subscribe(this.#contain(observerOrNext));
  }

  #contain(observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined): Partial<Observer<T>> {
    // rxjs's own subscribers (the operators of a pipe) pass through: their chain handles errors.
    if (observerOrNext instanceof Subscriber) return observerOrNext;
    const observer: Partial<Observer<T>> = typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
    const report = this.#report;
    const failed = (what: string, thrown: unknown): void =>
      report(new Error(`An events$ subscriber threw in ${what}: ${messageOf(thrown)}`, { cause: thrown }));
    return {
      next: (value) => {
        if (observer.next === undefined) return;
        try {
          observer.next(value);
        } catch (thrown) {
          failed('next', thrown);
        }
      },
      error: (error: unknown) => {
        if (observer.error === undefined) {
          report(error); // an error nobody handles: reported, not thrown on a later macrotask
          return;
        }
        try {
          observer.error(error);
        } catch (thrown) {
          failed('error', thrown);
        }
      },
      complete: () => {
        if (observer.complete === undefined) return;
        try {
          observer.complete();
        } catch (thrown) {
          failed('complete', thrown);
        }
      },
    };
  }
}
