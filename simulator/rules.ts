/**
 * Rules script the simulator: how each job ends and which faults hit which requests. Rules come from
 * `buildSimulator({ rules })`, `runSimulator({ rulesFile })` or `PUT /_sim/rules` (with the credentials of a simulator
 * user without tenancies), and are validated with zod.
 *
 * Format: a JSON array of rules (a file may also hold `{ "rules": [...] }`). For each API request the **first**
 * rule whose `match` fits is the request's rule; later rules are not consulted for it.
 *
 * - `match`: every field given must fit; `{}` or no `match` fits everything.
 *   - `method`: HTTP method, case-insensitive.
 *   - `path`: the path after `/api`, without the query. A string starting with `^` is a regular expression;
 *     otherwise a glob where `*` is any text inside one segment, `**` any text, and `:name` one whole segment.
 *   - `name`: the name the request is about: the body's `name`, `display_name` or `alias`, the snapshot name or
 *     alias in the path, or, for a request by id, the target resource's name. A glob when it contains `*` or `?`,
 *     otherwise a prefix. Object-storage accounts have no name.
 *   - `operation`: the async call, named as in the client catalogue (`create-disk`, `delete-hostgroup`, ...);
 *     a glob is allowed. Synchronous calls have no operation.
 *   A job read (`GET /v2.1/jobs/{id}`) is matched with the name and operation of the request that created the job,
 *   so one rule can script a job and the faults of its reads. A rule with only `name` therefore also catches the
 *   reads, updates and deletes of that resource: add `method`, `path` or `operation` to narrow it.
 * - Job fate, decided when the job is created:
 *   - `outcome`: `NORMAL`, `ERROR`, `PARTIAL_FAILURES` or `CANCELLED`; the job answers RUNNING on the first read,
 *     then this. `CANCELLED` (status `cancelled`, no documented state) ends a job with nothing done, like `ERROR`.
 *   - `states`: the answer of each read of the job, in order (`PENDING`, `RUNNING`, `WARNING`, `NORMAL`, `ERROR`,
 *     `PARTIAL_FAILURES`, `CANCELLED`). The 202 answer is always PENDING. The job stops at the first terminal word; without one
 *     it keeps the last word forever. `states` wins over `outcome`.
 *   - `advance`: `{ "perRead": n }` moves one step every n reads of that job (default n = 1; listing never
 *     advances a job), `{ "everyMs": n }` moves one step every n ms of wall-clock time since the job was created.
 *   Without `outcome` and `states` the name decides, for creates and updates only: `fail-` ERROR, `partial-`
 *   PARTIAL_FAILURES, `warn-` WARNING on two reads then NORMAL, `slow-` NORMAL on the 20th read; any other name,
 *   and every delete (compensation), RUNNING then NORMAL on the 2nd read.
 * - `jobShape`: how the jobs this rule creates look, decided when the job is created (nse-api.md §6, §9). Every
 *   field is optional; the defaults are the first value of each list.
 *   - `fields`: `both` (a `status` word always, and `state` once the step is one of the four documented state
 *     words), `status` (the seed's shape: `status` only, `pending` ... `successful`, never a `state`), or `state`
 *     (`state` only: `PENDING`, `RUNNING`, `WARNING`, `NORMAL`, ...; no `status`).
 *   - `statusWords`: `status` (`pending`, `running`, `successful`, `failed`, `partial_failures`, `cancelled`) or
 *     `state` (the state word itself in `status`: `status: "NORMAL"`, `"ERROR"`, ...).
 *   - `typeField`: `both` (`type` and `object_type`), `type` (only `type`, singular: `disk`), `object_type` (only
 *     `object_type`, plural: `ontap_disks`), or `documented` (the field each endpoint's doc example uses, §6.3:
 *     `type` for block stores, disks, host groups and the file-server create; `object_type` for disk snapshots,
 *     file-server updates and deletes, file shares and object storage).
 *   - `requestPayload`: `object` (tasks echo the request as a JSON object) or `string` (the same, as a JSON string).
 *   - `texts`: `plain` (short simulated messages) or `quoting`: `last_error`, `status_detail` and task texts quote
 *     the request's values and the driver's credentials the way real failures do (an Ansible `FAILED! => {...}`
 *     dump with its `module_args`, passwords included), and a job that ends NORMAL carries a benign `last_error`
 *     (a retried step) that must not change its state.
 * - `faults`: each is `{ times?, skip?, rate?, seed? }` plus its own fields. A fault is considered on each request
 *   it applies to: the first `skip` considerations pass, then it fires (with probability `rate`, default 1, drawn
 *   from a PRNG seeded by `seed`, so a run is repeatable) until it has fired `times` times (default: no limit).
 *   - `latencyMs`: `{ ms }` or just a number: wait before answering.
 *   - `http429`: `{ retryAfterSeconds }` (default 1): answer 429 with `Retry-After`; nothing is processed.
 *   - `rateLimit`: `{ perSecond, retryAfterSeconds?, bucket? }`, a rate limiter instead of a counted fault (no
 *     `times`, `skip`, `rate`): a request is answered 429 with `Retry-After` (default 1 s), unprocessed, when
 *     `perSecond` requests of its bucket were already admitted in the last 1000 ms (a sliding window; refused
 *     requests do not count). The bucket is the rule's own unless `bucket` names one: rules naming the same
 *     bucket share one limit, so a limit on the whole API survives rules that script different jobs.
 *   - `http500`: answer 500; nothing is processed.
 *   - `http302Login`: answer 302 to a login page (`Location: /login?next=...`, an HTML body), as a proxy in front
 *     of NSE does when its session lapses; nothing is processed.
 *   - `http403Html`: answer 403 with a web application firewall's HTML page instead of an envelope; nothing is
 *     processed.
 *   - `http400`: answer 400 with an envelope ("Invalid request."), whatever the request; nothing is processed.
 *   - `dropAfterProcessing`: process the request fully (job, resource, ledger), then destroy the socket without
 *     answering: an ambiguous submit. Only 2xx answers are dropped.
 *   - `malformedJson`: process the request, then send its 2xx answer with the JSON body cut in half.
 *   - `unknownState`: `{ word }` (default `RECONCILING`): a read of an unfinished job reports `word` as its
 *     `status` and `state` and does not advance it; `times` counts reads.
 *   - `vanishAfterTerminal`: `{ terminalReads }` (default 0): a read that finds the job finished, after
 *     `terminalReads` reads already showed it finished, forgets the job and answers 404, as do all later reads;
 *     `times` counts jobs.
 *   - `staleJobList`: `{ ageMs }` (default 60000): a job list (`GET /v2.1/jobs`) leaves out the jobs created in the
 *     last `ageMs` ms, as an index that lags behind the jobs does; `times` counts lists.
 * - `comment`: free text, ignored.
 *
 * Example:
 * ```json
 * [
 *   { "match": { "method": "POST", "name": "db-" }, "states": ["RUNNING", "WARNING", "NORMAL"],
 *     "faults": { "dropAfterProcessing": { "times": 1 } } },
 *   { "match": { "method": "GET", "path": "/v2.1/jobs/:id" }, "faults": { "http500": { "times": 2 }, "latencyMs": 20 } },
 *   { "match": { "operation": "delete-*" }, "outcome": "ERROR", "advance": { "everyMs": 500 } }
 * ]
 * ```
 * @module
 */
import { z } from 'zod';
import { createRng } from './prng';
import { RateWindows } from './request-rate';

/**
 * The words a job step can show: two in-progress words of `status`, the four `state` words of §6.4, and
 * `CANCELLED`, a status word with no documented state.
 */
const STATE_WORDS = ['PENDING', 'RUNNING', 'WARNING', 'NORMAL', 'ERROR', 'PARTIAL_FAILURES', 'CANCELLED'] as const;
export type StateWord = (typeof STATE_WORDS)[number];
const TERMINAL_WORDS: ReadonlySet<StateWord> = new Set<StateWord>(['NORMAL', 'ERROR', 'PARTIAL_FAILURES', 'CANCELLED']);

/** True for the words that end a job: NORMAL, ERROR, PARTIAL_FAILURES and CANCELLED. */
export function isTerminalWord(word: StateWord): boolean {
  return TERMINAL_WORDS.has(word);
}

const count = z.number().int().min(0);
const faultControl = {
  times: count.optional(),
  skip: count.optional(),
  rate: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
};
const plainFault = z.strictObject(faultControl);

const pathPattern = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('^') || isValidRegExp(p), { message: 'is not a valid regular expression' });

const MatchSchema = z.strictObject({
  method: z.string().min(1).optional(),
  path: pathPattern.optional(),
  name: z.string().min(1).optional(),
  operation: z.string().min(1).optional(),
});

const AdvanceSchema = z.union([
  z.strictObject({ perRead: z.number().int().min(1) }),
  z.strictObject({ everyMs: z.number().int().min(1) }),
]);

const FaultsSchema = z.strictObject({
  latencyMs: z
    .union([
      z
        .number()
        .int()
        .min(0)
        .transform((ms) => ({ ms })),
      z.strictObject({ ...faultControl, ms: z.number().int().min(0) }),
    ])
    .optional(),
  http429: z.strictObject({ ...faultControl, retryAfterSeconds: z.number().int().min(0).optional() }).optional(),
  rateLimit: z
    .strictObject({
      perSecond: z.number().int().min(1),
      retryAfterSeconds: z.number().int().min(0).optional(),
      bucket: z.string().min(1).max(100).optional(),
    })
    .optional(),
  http500: plainFault.optional(),
  http302Login: plainFault.optional(),
  http403Html: plainFault.optional(),
  http400: plainFault.optional(),
  dropAfterProcessing: plainFault.optional(),
  malformedJson: plainFault.optional(),
  unknownState: z.strictObject({ ...faultControl, word: z.string().min(1).max(64).optional() }).optional(),
  vanishAfterTerminal: z.strictObject({ ...faultControl, terminalReads: count.optional() }).optional(),
  staleJobList: z.strictObject({ ...faultControl, ageMs: count.optional() }).optional(),
});

const JobShapeSchema = z.strictObject({
  fields: z.enum(['both', 'status', 'state']).optional(),
  statusWords: z.enum(['status', 'state']).optional(),
  typeField: z.enum(['both', 'type', 'object_type', 'documented']).optional(),
  requestPayload: z.enum(['object', 'string']).optional(),
  texts: z.enum(['plain', 'quoting']).optional(),
});

/** How a job looks (see `jobShape` in the module comment), every choice made. */
export type JobShape = Required<z.output<typeof JobShapeSchema>>;

/** Today's shape, and the one a job gets when its rule says nothing. */
const DEFAULT_JOB_SHAPE: Readonly<JobShape> = {
  fields: 'both',
  statusWords: 'status',
  typeField: 'both',
  requestPayload: 'object',
  texts: 'plain',
};

/** zod schema of one rule; see the module comment for the meaning of each field. */
const SimRuleSchema = z.strictObject({
  comment: z.string().optional(),
  match: MatchSchema.optional(),
  outcome: z.enum(['NORMAL', 'ERROR', 'PARTIAL_FAILURES', 'CANCELLED']).optional(),
  states: z.array(z.enum(STATE_WORDS)).min(1).max(10_000).optional(),
  advance: AdvanceSchema.optional(),
  jobShape: JobShapeSchema.optional(),
  faults: FaultsSchema.optional(),
});

/** A rule as written in a rules file or passed to the simulator. */
export type SimRule = z.input<typeof SimRuleSchema>;

/** A validated rule, with shorthands expanded (`latencyMs: 20` becomes `{ ms: 20 }`). */
export type ParsedRule = z.output<typeof SimRuleSchema>;

/** The fault kinds a rule can inject by count (`rateLimit` is a limiter, see {@link RuleSet.overRate}). */
export type FaultKind = Exclude<keyof NonNullable<ParsedRule['faults']>, 'rateLimit'>;

/** A rule's `rateLimit`, validated. */
type RateLimit = NonNullable<NonNullable<ParsedRule['faults']>['rateLimit']>;

/** How a job moves through its steps. */
type Advance = { perRead: number } | { everyMs: number };

/** The scripted life of one job: `steps[i]` is the answer of read i + 1 (the 202 answer is PENDING). */
export interface JobPlan {
  steps: StateWord[];
  advance: Advance;
  shape: JobShape;
}

/** What a request is matched on. */
interface MatchContext {
  method: string;
  /** Path after `/api`, without the query. */
  path: string;
  name?: string | undefined;
  operation?: string | undefined;
}

/** The rule a request matched and its position in the list. */
export interface MatchedRule {
  index: number;
  rule: ParsedRule;
}

/** Thrown by {@link parseRules} with zod's readable message. */
export class RulesError extends Error {
  override name = 'RulesError';
}

const RulesInput = z.union([z.array(SimRuleSchema), z.strictObject({ rules: z.array(SimRuleSchema) })]);

/** Validates rules given as an array or as `{ rules: [...] }`; throws {@link RulesError} naming the bad field. */
export function parseRules(input: unknown): ParsedRule[] {
  const parsed = RulesInput.safeParse(input);
  if (!parsed.success) throw new RulesError(`invalid simulator rules:\n${z.prettifyError(parsed.error)}`);
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.rules;
}

function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

const compiled = new Map<string, RegExp>();

function compilePath(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re) return re;
  if (pattern.startsWith('^')) {
    re = new RegExp(pattern);
  } else {
    const source = pattern
      .split(/(\*\*|\*|:[A-Za-z_][A-Za-z0-9_]*)/)
      .map((part) => {
        if (part === '**') return '.*';
        if (part === '*') return '[^/]*';
        if (part.startsWith(':') && part.length > 1) return '[^/]+';
        return escapeRegExp(part);
      })
      .join('');
    re = new RegExp(`^${source}$`);
  }
  compiled.set(pattern, re);
  return re;
}

/**
 * True when `path` fits `pattern`: a regular expression when the pattern starts with `^`, otherwise a glob where
 * `*` is any text inside one segment, `**` any text, and `:name` one whole segment (`/v2.1/jobs/:id`).
 */
export function pathMatches(pattern: string, path: string): boolean {
  return compilePath(pattern).test(path);
}

function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split(/([*?])/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : escapeRegExp(part)))
    .join('');
  return new RegExp(`^${source}$`).test(text);
}

/** True when `name` fits `pattern`: a glob when the pattern contains `*` or `?`, otherwise a prefix. */
export function nameMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  return /[*?]/.test(pattern) ? globMatches(pattern, name) : name.startsWith(pattern);
}

/** True when every field of the rule's `match` fits the request. */
function ruleMatches(rule: ParsedRule, ctx: MatchContext): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.method !== undefined && m.method.toUpperCase() !== ctx.method.toUpperCase()) return false;
  if (m.path !== undefined && !pathMatches(m.path, ctx.path)) return false;
  if (m.name !== undefined && !nameMatches(m.name, ctx.name)) return false;
  if (m.operation !== undefined) {
    if (ctx.operation === undefined) return false;
    const ok = /[*?]/.test(m.operation) ? globMatches(m.operation, ctx.operation) : m.operation === ctx.operation;
    if (!ok) return false;
  }
  return true;
}

/** The steps a job takes when no rule scripts it: decided by the resource name for creates and updates. */
function defaultSteps(action: 'create' | 'update' | 'delete', fateName: string | undefined): StateWord[] {
  if (action !== 'delete' && fateName !== undefined) {
    if (fateName.startsWith('fail-')) return ['RUNNING', 'ERROR'];
    if (fateName.startsWith('partial-')) return ['RUNNING', 'PARTIAL_FAILURES'];
    if (fateName.startsWith('warn-')) return ['WARNING', 'WARNING', 'NORMAL'];
    if (fateName.startsWith('slow-')) return [...Array<StateWord>(19).fill('RUNNING'), 'NORMAL'];
  }
  return ['RUNNING', 'NORMAL'];
}

/** The plan of a new job: the rule's `states` or `outcome` if it has one, the name's default otherwise. */
export function planJob(
  rule: ParsedRule | undefined,
  action: 'create' | 'update' | 'delete',
  fateName: string | undefined,
): JobPlan {
  const steps = rule?.states
    ? [...rule.states]
    : rule?.outcome
      ? (['RUNNING', rule.outcome] satisfies StateWord[])
      : defaultSteps(action, fateName);
  return { steps, advance: rule?.advance ?? { perRead: 1 }, shape: { ...DEFAULT_JOB_SHAPE, ...rule?.jobShape } };
}

interface FaultCounter {
  considered: number;
  fired: number;
  random: () => number;
}

/** A validated rule list with the counters of its faults; replacing the rules starts the counters again. */
export class RuleSet {
  private readonly counters = new Map<string, FaultCounter>();
  private readonly windows = new RateWindows();

  /** Validates `rules`; throws {@link RulesError} when one is invalid. */
  constructor(input: unknown = []) {
    this.rules = parseRules(input);
  }

  /** The validated rules, in order. */
  readonly rules: readonly ParsedRule[];

  /** The first rule whose `match` fits `ctx`, or undefined. */
  match(ctx: MatchContext): MatchedRule | undefined {
    const index = this.rules.findIndex((rule) => ruleMatches(rule, ctx));
    const rule = this.rules[index];
    return rule ? { index, rule } : undefined;
  }

  /**
   * The matched rule's `rateLimit` when a request at `now` (epoch ms) exceeds it and must be answered 429;
   * undefined when the rule has none or the request is admitted (and counted in its bucket's window).
   */
  overRate(matched: MatchedRule | undefined, now: number): RateLimit | undefined {
    const limit = matched?.rule.faults?.rateLimit;
    if (!matched || !limit) return undefined;
    return this.windows.admit(
      limit.bucket === undefined ? `rule:${matched.index}` : `named:${limit.bucket}`,
      limit.perSecond,
      now,
    )
      ? undefined
      : limit;
  }

  /**
   * Considers fault `kind` of the matched rule once: returns its settings when it fires now, undefined otherwise.
   * Call it only when the fault could apply, so `skip` and `times` count real opportunities.
   */
  fire<K extends FaultKind>(
    matched: MatchedRule | undefined,
    kind: K,
  ): NonNullable<ParsedRule['faults']>[K] | undefined {
    const fault = matched?.rule.faults?.[kind];
    if (!matched || !fault) return undefined;
    // The `latencyMs: n` shorthand parses to `{ ms }` alone; every other shape carries these optional controls.
    const control = fault as { times?: number; skip?: number; rate?: number; seed?: number };
    const key = `${matched.index}:${kind}`;
    let counter = this.counters.get(key);
    if (!counter) {
      const seed = (control.seed ?? 1) * 7919 + matched.index * 104729 + kind.length;
      counter = { considered: 0, fired: 0, random: createRng(seed).next };
      this.counters.set(key, counter);
    }
    counter.considered += 1;
    if (counter.considered <= (control.skip ?? 0)) return undefined;
    if (control.times !== undefined && counter.fired >= control.times) return undefined;
    if (control.rate !== undefined && counter.random() >= control.rate) return undefined;
    counter.fired += 1;
    return fault;
  }
}
