import { createPlan, Sequence } from 'echo-actions';
import { inspect } from 'echo-actions/inspect';

const sequence = new Sequence({ plan: createPlan({ Hello: async (name: string) => `hello ${name}` }) }).start();
const server = await inspect(sequence, { port: 0 }); // 127.0.0.1, a free port; server.url carries the control token
console.log(`inspector at ${server.url}`);
await sequence.assign('Hello', 'inspector').result;
await server.close();
await sequence.shutdown();
