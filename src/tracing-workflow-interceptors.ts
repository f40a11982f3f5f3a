/**
 * The workflow interceptors of a traced worker's bundle (only its bundle: src/bundler-options.ts): OpenTelemetry's
 * own, but for update validators, which get no span. A validator runs when an update arrives and never on replay;
 * with its span (SDK 1.24), a run whose update ended a timer's wait replayed differently from how it ran ("Update
 * machine does not handle this event: TimerCanceled"): a held run decided with `decide` could not be replayed.
 * The update's handler keeps its span, so the trace still shows every update.
 * @module
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Next, UpdateInput, WorkflowInboundCallsInterceptor, WorkflowInterceptors } from '@temporalio/workflow';

class InboundWithoutValidatorSpans extends OpenTelemetryInboundInterceptor {
  override validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new InboundWithoutValidatorSpans()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
