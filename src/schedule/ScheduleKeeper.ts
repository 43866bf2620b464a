/**
 * The seam for schedules kept outside the process: an external production (BullMQ, whose job
 * schedulers live in Redis) can keep the schedules of its Sequence, shared by every process, instead
 * of the Sequence's own Scheduler (timers in this process). `sequence.schedule` hands them to it.
 * Nothing here knows BullMQ.
 * @internal
 */
import type { ScheduleSpec, ScheduleState } from './scheduleSpec.js';

/** Keeps schedules where every process of a production sees them. */
export interface ScheduleKeeper {
  /** Where users manage these schedules (named in the error `sequence.schedules` throws), e.g. `production.schedules`. */
  readonly managedAt: string;
  /**
   * Checks the spec and keeps the schedule (a bad spec, or one the keeper cannot honour, throws a
   * typed error here); returns its state as known now, while the write to the keeper completes.
   */
  schedule(name: string, content: unknown, spec: ScheduleSpec): ScheduleState;
}
