/**
 * `echo-actions/bullmq`: Sites in many processes sharing one Production on BullMQ 6 and Redis.
 * Needs the optional peers `bullmq` (6) and `ioredis` (5).
 * @example
 * const sequence = new Sequence({ plan, production: bullmqProduction({ connection: { host: '127.0.0.1', port: 6379 } }) }).start();
 * @module
 */
export { bullmqProduction, BullMQProduction, type BullMQProductionOptions } from './bullmqProduction.js';
export { BullMQSchedules, ScheduleNotSupportedError } from './bullmqSchedules.js';
export { LockLostError } from './LockLostError.js';
