import { createPlan, License, LicenseError, Life, ManualClock, Sequence, type HookInfo } from 'echo-actions';

const log: string[] = [];
const life = new Life();
life.span.before(({ action }: HookInfo) => void log.push(`global before ${action.name}`));
life.span.after(({ action, outcome }: HookInfo) => void log.push(`global after ${action.name}: ${outcome?.status}`));
life.span.define('Audit', ({ phase }) => void log.push(`audit ${phase}`));

const clock = new ManualClock();
const plan = createPlan({
  Export: {
    run: async (tenant: string) => `exported ${tenant}`,
    before: ({ action }) => {
      if (action.content === 'banned') throw new LicenseError('tenant is banned'); // a veto: no attempt runs
    },
    after: ({ outcome }) => void log.push(`Export after: ${outcome?.status}`),
  },
  Long: (_: null, { signal }) => new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
});
const sequence = new Sequence({ plan, life, clock }).start();

console.log(await sequence.assign('Export', 'acme', { metadata: { hooks: ['Audit'] } }).result); // exported acme
console.log(log.join(' | ')); // global before Export | audit before | Export after: done | global after Export: done
const vetoed = await sequence.assign('Export', 'banned').result.catch((error: Error) => error.name);
console.log(vetoed); // LicenseError

const license = new License('tenant-42');
const running = sequence.assign('Long', null, { license });
await clock.advance(1);
license.revoke('tenant deleted');
const revoked = await running.result.catch((error: unknown) => error);
console.log(revoked instanceof LicenseError, running.getSnapshot().value); // true failed
await sequence.shutdown();
