/**
 * The NSE simulator's public surface: build it ({@link buildSimulator}), run it ({@link runSimulator}), script it
 * (rules) and read back what happened (ledger types).
 * @module
 */
export { buildSimulator, type SimulatorApp, type SimulatorControl, type SimulatorOptions } from './app';
export { SIM_FIXTURES, type SimUser } from './fixtures';
export type { Ledger, LedgerEvent, LedgerRequest, LedgerResource } from './job-store';
export { loadRulesFile, runSimulator, type RunSimulatorOptions, type SimulatorHandle } from './main';
export { nameMatches, parseRules, pathMatches, RulesError, type ParsedRule, type SimRule } from './rules';
