/**
 * What an assignment made of one action, before anything ran: its id, content
 * and creation time, the kind it shares with the runs assigned the same way
 * (name, definition, policy, hooks, timeouts, priority, queue), its metadata, and
 * what only some runs hold (License, idempotency key, provenance, restored
 * history, host, parent and follow-ups, kept in `RunExtras`), with the slots other
 * modules keep on it. `ActionRun` builds on it with the run's life (its actor,
 * Site, phases, errors and outcome).
 *
 * The public slots `livePrev`/`liveNext`, `productionTicket`, `flowMark` and
 * `traced` are each written by one module only (named beside each).
 * @internal
 */
import type { Priority } from '../../machines/actionTypes.js';
import type { NamedHook } from './hooks.js';
import type { License } from '../License.js';
import type { ActionDefinition } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import type { ActionActivity } from './ActionActivity.js';
import type { ActionRun } from './ActionRun.js';
import { RunExtras } from './RunExtras.js';
import { kindOf, type RunKind } from './RunKind.js';
import type { FollowUp, Provenance, RunInit, RunServices } from './runTypes.js';

const ACCEPTED: Promise<void> = Promise.resolve();
const NO_FOLLOW_UPS: readonly FollowUp[] = Object.freeze([]);

export abstract class AssignedRun {
  readonly id: string;
  readonly content: unknown;
  readonly services: RunServices;
  readonly createdAt: number;
  readonly startDelay: number;
  /** Slot of `LiveRuns` (only it writes them): neighbours in its Sequence's list of live runs. */
  livePrev: ActionRun | null = null;
  liveNext: ActionRun | null = null;
  /** Slot of `Queues`/`Production` (only they write it): its ticket in the Production that holds it (0 = in none); see `TicketSlot`. */
  productionTicket = 0;
  /** Slot of `FlowControl` (only it writes it): flow-control marks (0 = none). */
  flowMark = 0;

  /** Its name, definition, policy, hooks, timeouts, priority and queue, shared with the runs assigned the same way. */
  readonly #kind: RunKind;
  #metadata: Readonly<Record<string, unknown>>;
  /** What only some runs hold (see `RunExtras`), made on first need. */
  #extras: RunExtras<ActionRun> | null = null;

  constructor(init: RunInit, services: RunServices, parent: ActionRun | null) {
    this.id = init.id;
    this.content = init.content;
    this.#metadata = init.metadata;
    this.#kind = kindOf(init);
    this.services = services;
    this.createdAt = init.createdAt;
    this.startDelay = init.startDelay;
    const host = init.host ?? null;
    if (init.followUps.length > 0 || init.license !== null || init.idempotencyKey !== undefined || init.provenance !== null || init.history !== undefined || host !== null || parent !== null) {
      const extras = this.extra();
      extras.license = init.license;
      extras.idempotencyKey = init.idempotencyKey;
      extras.provenance = init.provenance;
      extras.history = init.history;
      extras.host = host;
      extras.parent = parent;
      extras.followUps = init.followUps;
    }
  }

  /** Its extras, made now when it has none. */
  protected extra(): RunExtras<ActionRun> {
    return (this.#extras ??= new RunExtras());
  }

  /** Its extras, or null before the first need. */
  protected get extras(): RunExtras<ActionRun> | null {
    return this.#extras;
  }

  // ── what it is (read-only views) ───────────────────────────────────────────
  get name(): string {
    return this.#kind.name;
  }

  get priority(): Priority {
    return this.#kind.priority;
  }

  get definition(): ActionDefinition {
    return this.#kind.definition;
  }

  get policy(): RetryPolicy {
    return this.#kind.policy;
  }

  get before(): readonly NamedHook[] {
    return this.#kind.before;
  }

  get after(): readonly NamedHook[] {
    return this.#kind.after;
  }

  get attemptTimeout(): number | null {
    return this.#kind.attemptTimeout;
  }

  get totalTimeout(): number | null {
    return this.#kind.totalTimeout;
  }

  get cancelGrace(): number {
    return this.#kind.cancelGrace;
  }

  get license(): License | null {
    return this.#extras?.license ?? null;
  }

  /** Follow-ups assigned after success with its output. */
  get followUps(): readonly FollowUp[] {
    return this.#extras?.followUps ?? NO_FOLLOW_UPS;
  }

  get idempotencyKey(): string | undefined {
    return this.#extras?.idempotencyKey;
  }

  get provenance(): Provenance | null {
    return this.#extras?.provenance ?? null;
  }

  /** Attempts made before, when a durable Sequence restored it. */
  get history(): RunInit['history'] {
    return this.#extras?.history;
  }

  /** The user's actor that invoked it (see `RunInit.host`), null for an action assigned directly. */
  get host(): { readonly sessionId: string } | null {
    return this.#extras?.host ?? null;
  }

  /** The action whose follow-up it is, or null. */
  get parent(): ActionRun | null {
    return this.#extras?.parent ?? null;
  }

  /** Slot of `Telemetry` (only it writes it): its spans while traced. */
  get traced(): unknown {
    return this.#extras?.traced ?? null;
  }

  set traced(value: unknown) {
    if (value !== null || this.#extras !== null) this.extra().traced = value;
  }

  /** What its function reported with `ctx.progress`/`ctx.log` (null until it does; made by `activityOf`). */
  get activity(): ActionActivity | null {
    return this.#extras?.activity ?? null;
  }

  set activity(value: ActionActivity | null) {
    if (value !== null || this.#extras !== null) this.extra().activity = value;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.#metadata;
  }

  /** The named Production it is routed to. */
  get queue(): string {
    const extras = this.#extras;
    return extras === null || extras.queue === null ? this.#kind.queue : extras.queue;
  }

  /** Its live follow-ups (null before the first). */
  get children(): ReadonlySet<ActionRun> | null {
    return this.#extras?.children ?? null;
  }

  /** Resolves once the assignment is committed to the Sequence's store (at once without a durable store). */
  get accepted(): Promise<void> {
    return this.#extras?.accepted ?? ACCEPTED;
  }

  /** How many times a Site behaviour crashed on it. */
  get crashes(): number {
    return this.#extras?.crashes ?? 0;
  }

  // ── changes, each by the module that owns the fact ─────────────────────────
  /** Its assignment is committed when `commit` resolves (a durable store, an external production). */
  acceptedWhen(commit: Promise<void>): void {
    this.extra().accepted = commit;
  }

  addChild(child: ActionRun): void {
    (this.extra().children ??= new Set()).add(child);
  }

  removeChild(child: ActionRun): void {
    this.#extras?.children?.delete(child);
  }

  /** A Site behaviour changed its metadata (`updateMetadata`). */
  receiveMetadata(metadata: Readonly<Record<string, unknown>>): void {
    this.#metadata = metadata;
  }

  /** A Site behaviour routed it to another queue. */
  route(queue: string): void {
    if (queue !== this.#kind.queue || this.#extras !== null) this.extra().queue = queue;
  }

  /** A Site behaviour crashed on it; returns how many times one has. */
  noteCrash(): number {
    return ++this.extra().crashes;
  }

  /** Holds its License until it settles: `release` lets go of the revocation listener. */
  holdLicense(release: () => void): void {
    this.extra().licenseRelease = release;
  }

  /** Lets go of its License (settled, or handed back). */
  releaseLicense(): void {
    const extras = this.#extras;
    if (extras === null) return;
    const release = extras.licenseRelease;
    extras.licenseRelease = null;
    release?.();
  }
}
