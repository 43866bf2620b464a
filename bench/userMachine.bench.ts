/**
 * A user's Action machine beside the built-in one: the circuit-breaker example's machine
 * (`examples/circuitBreaker.ts`, its circuit never opening under a no-op load) on the table
 * engine, against Echo's own machine fed the same way in the same rounds.
 */
import { circuitBreakerMachine, createCircuitBreaker } from '../examples/circuitBreaker.js';
import { systemClock } from '../src/index.js';
import { duel, type Duel, type Runner } from './harness.js';
import { echo, echoAllAtOnce } from './runners.js';

/** Echo with the circuit breaker as its Action machine, all at once. */
export const echoCircuitBreaker: Runner = async (n) => {
  const machine = circuitBreakerMachine(createCircuitBreaker({ failureThreshold: 5, coolDown: 1000, clock: systemClock }));
  await echoAllAtOnce({ actionMachine: machine })(n);
};

/** The circuit breaker's throughput ÷ the built-in machine's, interleaved rounds, medians. */
export function benchUserMachine(n: number): Promise<Duel> {
  return duel(echoCircuitBreaker, echo, n, { rounds: 5, warmUp: 1 });
}
