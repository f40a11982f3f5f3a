/**
 * Sandbox set-up, preloaded (src/bundler-options.ts) so that it runs once per worker thread before the SDK freezes the
 * sandbox's globals: V8 keeps at most {@link WORKFLOW_STACK_FRAMES} frames of an error made in workflow code.
 *
 * Why: SDK 1.24's promise hook makes an error for every promise workflow code creates (for the stack-trace query) and
 * maps each frame through the bundle's source map; the cost grows with the frames. With 6 instead of V8's 10, the
 * workflow thread's CPU per workflow task fell by about a fifth (`npm run bench:cpu-profile -- --side operation`,
 * docs/benchmarks.md). What it costs: the Web UI's stack trace and a workflow failure's stack show the innermost 6
 * frames, where the run waits or threw; `nse-flow status` and `waits` say what a run waits on without them.
 * @module
 */

/** Frames kept in a workflow error's or promise's stack trace. */
export const WORKFLOW_STACK_FRAMES = 6;

Error.stackTraceLimit = WORKFLOW_STACK_FRAMES;
