/**
 * Renders a {@link ChaosReport} as the figures table (Markdown, so it can be pasted into docs/reliability.md) and a
 * list of broken invariants.
 * @module
 */
import type { ChaosReport } from './chaos';

function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}

function list(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '0' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The figures table of a chaos run, as Markdown. */
export function formatReport(r: ChaosReport): string {
  const rows: [string, string | number][] = [];
  const outcomes = Object.entries(r.outcomes).sort(([a], [b]) => a.localeCompare(b));
  rows.push(['runs', `${r.workflows} (${list(r.stories)})`]);
  rows.push(['poll modes', list(r.pollModes)]);
  for (const [outcome, { actual, expected }] of outcomes)
    rows.push([`outcome ${outcome}`, `${actual} (scenarios expecting it: ${expected})`]);
  const sim = r.simFaults;
  const fault = (kind: string): number => sim[kind] ?? 0;
  rows.push(['fault: NSE 5xx answers (bursts of 2-4)', fault('http500')]);
  rows.push(['fault: NSE 429 with Retry-After', fault('http429')]);
  rows.push(['fault: slow submit (1.5-4 s)', fault('latencyMs (submit, slow)')]);
  rows.push(['fault: read held 40 s, past the 30 s activity timeout', fault('latencyMs (read, beyond timeout)')]);
  rows.push(['fault: connection dropped after processing', fault('dropAfterProcessing')]);
  rows.push(['fault: malformed JSON answer', fault('malformedJson')]);
  rows.push(['fault: unknown job state word', fault('unknownState')]);
  rows.push(['fault: job vanished after terminal (404)', fault('vanishAfterTerminal')]);
  rows.push([
    'fault: token expiry (simulator clock jumps)',
    `${r.tokenExpiries} → ${r.auth.unauthorized} answers 401, ${r.auth.signIns} sign-ins, ${r.auth.refreshes} refreshes, ${r.auth.tokensIssued} tokens issued`,
  ]);
  const kills = Object.values(r.kills).reduce((a, b) => a + b, 0);
  rows.push(['worker kills (SIGKILL)', `${kills} (${list(r.kills as unknown as Record<string, number>)})`]);
  rows.push(['worker starts / unprovoked exits', `${r.workerStarts} / ${r.workerCrashes.length}`]);
  rows.push(['Temporal server restarts', r.serverRestarts]);
  rows.push(['cancellations', r.harnessEvents.filter((e) => e.kind === 'cancel').length]);
  rows.push(['ambiguous submits adopted (not re-sent)', r.adoptions]);
  rows.push([
    'NSE requests / job reads carrying request_payload credentials',
    `${r.nseRequests} / ${r.jobReadsWithCredentials}`,
  ]);
  rows.push(['duplicate creates', r.duplicates.length]);
  rows.push([
    'orphans (live objects no run made or reported)',
    r.violations.filter((v) => v.invariant === 'orphan').length,
  ]);
  rows.push(['resources reported for manual clean-up', r.manualCleanUp]);
  rows.push([
    'secret leaks',
    `${r.leaks.length} (scanned ${r.scanned.executions} executions: histories with ${r.scanned.historyEvents} events, search attributes and memos; ${r.scanned.logLines} worker log lines)`,
  ]);
  rows.push(['outcome mismatches', r.violations.filter((v) => v.invariant === 'outcome').length]);
  rows.push([
    'objects of other runs reported (foreign adoption)',
    r.violations.filter((v) => v.invariant === 'foreign').length,
  ]);
  rows.push([
    'cancelled runs that left a resource',
    r.violations.filter((v) => v.invariant === 'untruthful-cancel').length,
  ]);
  rows.push(['invariant violations (all kinds)', r.violations.length]);
  rows.push(['wall time (first start to last outcome)', seconds(r.wallMs)]);
  rows.push([
    'run duration p50 / p95 / max',
    `${seconds(r.durationsMs.p50)} / ${seconds(r.durationsMs.p95)} / ${seconds(r.durationsMs.max)}`,
  ]);
  const table = ['| figure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const header = `seed ${r.seed}, ${r.workflows} runs, concurrency ${r.concurrency}, ${r.date}\nmachine: ${r.machine}`;
  const problems =
    r.violations.length === 0
      ? 'all invariants hold'
      : [
          'INVARIANT VIOLATIONS:',
          ...r.violations.map((v) => `- ${v.invariant}${v.workflowId ? ` ${v.workflowId}` : ''}: ${v.detail}`),
        ].join('\n');
  return `${header}\n\n${table}\n\n${problems}\n`;
}
