/** Deleting every Redis key under a BullMQ prefix: the bench's and the tests' cleanup of their random prefixes. */
import { Redis, type RedisOptions } from 'ioredis';

/** Deletes every key under `prefix` (the queue, its jobs, Echo's cancel, result, schedule and License keys). */
export async function dropPrefix(connection: RedisOptions, prefix: string): Promise<void> {
  const redis = new Redis(connection);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
