/** Test support: a random BullMQ prefix per test on the real Redis at 127.0.0.1:6379, and cleanup of its keys. */
import { randomUUID } from 'node:crypto';
import { dropPrefix as dropKeysUnder } from '../../bench/redisKeys.js';

export const connection = { host: '127.0.0.1', port: 6379 } as const;

/** A prefix no other test uses. */
export function randomPrefix(): string {
  return `echo-test-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (the queue, its jobs, Echo's cancel and License keys). */
export function dropPrefix(prefix: string): Promise<void> {
  return dropKeysUnder(connection, prefix);
}
