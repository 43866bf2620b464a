/**
 * A bulk control command (`cancel-many`, `retry-many`) carried out one id at a
 * time: every id is tried, and the command fails (naming each id that failed and
 * why) when any of them could not be carried out.
 */
import type { ControlCommand } from './protocol.js';

/** Thrown when some ids of a bulk command failed; `failures` maps each failed id to its reason. */
export class BulkControlError extends Error {
  override readonly name = 'BulkControlError';
  constructor(
    readonly failures: Readonly<Record<string, string>>,
    readonly total: number,
  ) {
    const ids = Object.keys(failures);
    const shown = ids.slice(0, 5).map((id) => `${id}: ${failures[id]}`).join('; ');
    super(`${ids.length} of ${total} ids failed (${shown}${ids.length > 5 ? '; …' : ''})`);
  }
}

/** Runs `one` for each id of a bulk command; rejects with {@link BulkControlError} if any failed. */
export async function controlMany(
  command: Extract<ControlCommand, { actionIds: string[] }>,
  one: (actionId: string) => Promise<void>,
): Promise<void> {
  const failures: Record<string, string> = {};
  let failed = false;
  for (const actionId of command.actionIds) {
    try {
      await one(actionId);
    } catch (error) {
      failed = true;
      failures[actionId] = error instanceof Error ? error.message : String(error);
    }
  }
  if (failed) throw new BulkControlError(failures, command.actionIds.length);
}
