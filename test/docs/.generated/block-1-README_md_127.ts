import { metrics, trace } from '@opentelemetry/api';
import { createPlan, Sequence } from 'echo-actions';

const plan = createPlan({
  Charge: async (amount: number) => ({ charged: amount }),
  Email: { run: async (to: string) => `sent to ${to}`, queue: 'email' },
});
const sequence = new Sequence({
  plan,
  queues: { default: {}, email: {} },
  sites: [{ queues: ['default', 'email'] }],
  limits: {
    actions: { Charge: { concurrency: 2, rate: { limit: 10, interval: 1_000 } } },
    queues: { email: { rate: { limit: 100, interval: 60_000 } } },
  },
  telemetry: { tracer: trace.getTracer('shop'), meter: metrics.getMeter('shop') }, // @opentelemetry/api
}).start();
console.log(await sequence.assign('Charge', 10).result, await sequence.assign('Email', 'ada@example.com').result);
await sequence.shutdown();
