/**
 * `nse-flow run|provision … --dry-run`: what the run would ask of NSE, printed without calling NSE or starting a
 * workflow (src/client/dry-run.ts); `--json` prints the same as data. Input a run would refuse exits 2.
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  dryRun,
  OBJECT_ID,
  type DryRun,
  type DryRunCall,
  type DryRunInput,
  type DryRunRequest,
} from '../client/dry-run';
import { FailureType } from '../shared/failures';
import { CliError, ExitCode, print, type GlobalOptions } from './common';

/** Validates `input` as the workflow would and prints the requests its run would make. */
export function printDryRun(options: GlobalOptions, input: DryRunInput): void {
  let plan: DryRun;
  try {
    plan = dryRun(input);
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.InvalidInput)
      throw new CliError(err.message, ExitCode.Usage);
    throw err;
  }
  print(options, plan, renderDryRun(plan));
}

/** `METHOD path {body}` on one line. */
function callLine(call: DryRunCall): string {
  return `${call.method} ${call.path}${call.body === undefined ? '' : ` ${JSON.stringify(call.body)}`}`;
}

function requestLines(request: DryRunRequest, index: number): string[] {
  const at = request.step ?? request.item;
  const lines = [`${index + 1}. ${at === undefined ? '' : `${at}: `}${request.summary}`];
  if (request.readBefore) lines.push(`   first reads ${callLine(request.readBefore)} (the values its undo puts back)`);
  lines.push(`   ${callLine(request)}`);
  const undo = request.undo;
  lines.push('none' in undo ? `   undo: none (${undo.none})` : `   undo: ${callLine(undo)} (${undo.operation})`);
  return lines;
}

/** The dry run as a person reads it. */
export function renderDryRun(plan: DryRun): string {
  const count = plan.requests.reduce((sum, request) => sum + (request.readBefore ? 2 : 1), 0);
  const what = plan.kind === 'operation' ? `operation ${plan.name}` : `${plan.kind} '${plan.name}'`;
  const { undo, calls } = plan.priority;
  const lines = [
    `dry run of ${what}: ${count} NSE ${count === 1 ? 'request' : 'requests'} besides job reads; ` +
      'nothing was sent to NSE and no run was started',
    `fairness key ${plan.fairnessKey}; priority keys (lower goes first): undo ${undo}, submits and job reads ${calls}`,
    '',
    ...plan.requests.flatMap(requestLines),
  ];
  const later = plan.references.filter((ref) => ref.resolvedAt === 'run time');
  const now = plan.references.filter((ref) => ref.resolvedAt === 'now');
  if (later.length > 0) {
    lines.push('', 'references resolved at run time (shown as ${...} above):');
    for (const ref of later) lines.push(`  ${ref.step} ${ref.field} = ${ref.reference}`);
  }
  if (now.length > 0) {
    lines.push('', 'references resolved from earlier steps (their values are shown above):');
    for (const ref of now) lines.push(`  ${ref.step} ${ref.field} = ${ref.reference}`);
  }
  lines.push('', ...closingNotes(plan));
  return lines.join('\n');
}

function closingNotes(plan: DryRun): string[] {
  const notes = ['Each job NSE accepts is read (GET /v2.1/jobs/<job id>) until it ends.'];
  const undoes = plan.requests.map((request) => ('none' in request.undo ? '' : callLine(request.undo)));
  if (undoes.some((line) => line.includes(OBJECT_ID))) notes.push(`${OBJECT_ID} is the id NSE gives the object.`);
  if (plan.kind === 'plan')
    notes.push('Steps run in this order; if one fails, the steps done are undone newest first.');
  else if (plan.kind === 'bulk')
    notes.push('Each item is a run of its own (several at once); a failed item undoes only what it made.');
  else notes.push('If the job fails, the undo runs (with --on-failure hold, once you decide compensate).');
  return notes;
}
