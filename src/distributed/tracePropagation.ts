/**
 * Trace context across BullMQ jobs: the OpenTelemetry context active at `assign` travels in the
 * job (`trace`, the carrier the global propagator fills: W3C `traceparent`/`tracestate` with the
 * SDK's default), and the claiming process runs the action inside the context extracted from it,
 * so the action span it starts (and the attempt spans under it) are children of the span that was
 * active where the action was assigned, in whichever process. Through `@opentelemetry/api` only:
 * without a registered propagator (no SDK) nothing is carried and nothing costs.
 * @internal
 */
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/** A propagation carrier: header-like string fields. */
export type TraceCarrier = Readonly<Record<string, string>>;

/** The active context as a carrier, or undefined when the propagator writes nothing (no SDK, no span). */
export function activeTraceCarrier(): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? undefined : carrier;
}

/** Calls `fn` inside the context `carrier` names (as is without one). */
export function withTraceCarrier<T>(carrier: TraceCarrier | undefined, fn: () => T): T {
  if (carrier === undefined) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}
