/** Seed use case: the Rust README's usage example (Plan, Production, Life, a SimpleWorker Site, Sequence, Assign, Run, Shutdown), line by line in Echo. */
import { pathToFileURL } from 'node:url';
import { Life, Plan, Sequence, systemClock, type Clock, type ProductionOptions, type ReceivedAction, type SiteBehavior } from '../src/index.js';

/** Options of {@link main}; tests pass a ManualClock. */
export interface SeedUsageOptions {
  readonly clock?: Clock;
  /** Where the readable result goes. @default console.log */
  readonly log?: (line: string) => void;
}

/** What the example did. */
export interface SeedUsageSummary {
  /** The action's output (`Ok(json!(content))` in the seed). */
  readonly output: string;
  /** The content the function received (the seed never passed it; Echo does). */
  readonly received: unknown;
  /** Actions the SimpleWorker's `Receive` saw, as `name(content)`. */
  readonly receivedBySite: readonly string[];
  /** Site that ran the action, from the `started` event. */
  readonly site: string | null;
  readonly attempts: number;
  /** `shutdown()`'s report. */
  readonly finished: number;
  readonly unfinished: number;
}

export async function main(options: SeedUsageOptions = {}): Promise<SeedUsageSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? systemClock;
  let received: unknown;

  // let read_function = |_args: Vec<serde_json::Value>| async move {
  //     let path = "path/to/file.txt";
  //     let content = format!("Content read from: {}", path);
  //     Ok(json!(content))
  // };
  // Echo passes the action's content to the function (the seed dropped `_args`), plus a RunContext
  // with the attempt's AbortSignal.
  const readFunction = async (content: unknown): Promise<string> => {
    received = content;
    const path = 'path/to/file.txt';
    return `Content read from: ${path}`;
  };

  // let plan = Plan::New()
  //     .WithSignature(Signature::Struct { Name: "Read".to_string() })
  //     .WithFunction("Read", read_function)?
  //     .Build();
  // As in the seed, a function may be added only after its signature (else a TypeError).
  const plan = Plan.create().withSignature({ name: 'Read' }).withFunction('Read', readFunction).build();

  // let work = Arc::new(Production::New());
  // In Echo the Sequence owns its Productions (one per named queue); `work` holds the options of the
  // default one, and the live Production is then reachable as `life.karma.get('default')`.
  const work: Omit<ProductionOptions, 'name' | 'random'> = {};

  // let context = Life::Struct { Span: DashMap::new(), Fate: Config::default(), Cache: Mutex<DashMap>, Karma: DashMap::new() };
  // Span (named hooks) and Karma (named Productions) start empty; Fate is typed config with defaults
  // (`End` = attempts, default 3); Cache is a shared Map.
  const context = new Life({ fate: { attempts: 3 }, cache: new Map<string, unknown>() });

  // struct SimpleWorker;
  // impl Site for SimpleWorker { async fn Receive(&self, action, context: &Life) -> Result<(), Error> { action.Execute(context).await } }
  // A Site behaviour sees each action before it runs; returning normally lets the action execute on
  // this Site (it may also update metadata or redirect to another queue).
  const receivedBySite: string[] = [];
  const simpleWorker: SiteBehavior = (action: ReceivedAction) => {
    receivedBySite.push(`${action.name}(${JSON.stringify(action.content)})`);
  };
  // let worker = Arc::new(SimpleWorker);
  const worker = { id: 'SimpleWorker', behavior: simpleWorker };

  // let processor = Arc::new(Sequence::New(worker, work.clone(), context));
  const processor = new Sequence({ plan, sites: [worker], queues: { default: work }, life: context, clock });
  let site: string | null = null;
  const subscription = processor.events$.subscribe((event) => {
    if (event.type === 'started') site = event.site;
  });

  // let action = Action::New("Read", json!("SomeData"), Arc::clone(&plan));
  // work.Assign(Box::new(action)).await;
  // `assign` validates the name against the Plan (a RoutingError if unknown) and queues the action.
  const action = processor.assign('Read', 'SomeData');

  // processor.Run().await;
  processor.start();
  const output = await action.result;
  const attempts = action.getSnapshot().context.attempts.length;

  // (the seed's Sequence::Shutdown) Stops taking actions, drains what is in flight, reports the rest.
  const report = await processor.shutdown({ deadline: 1_000 });
  subscription.unsubscribe();

  log(`Read("SomeData") on ${site ?? '?'} → ${JSON.stringify(output)} (attempts: ${attempts})`);
  log(`SimpleWorker.Receive saw: ${receivedBySite.join(', ')}`);
  log(`shutdown: ${report.finished} finished, ${report.unfinished.length} unfinished`);
  return { output, received, receivedBySite, site, attempts, finished: report.finished, unfinished: report.unfinished.length };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
