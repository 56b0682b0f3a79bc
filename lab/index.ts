/**
 * The lab's public surface: what steps/ and support/ may use (the layout check enforces it).
 * Ports, errors, the lab file, parameters, parsers and the domain rules (lab/rules/) are library code; the lab
 * itself is made by the composition root (`composeLab`), so no caller names an adapter's internals.
 */
export * from './catalog/steps.js';
export * from './clock.js';
export { type ComposeOptions, composeLab } from './compose.js';
export * from './config/lab-file.js';
export * from './config/secrets.js';
export * from './config/zod-errors.js';
export * from './endpoints.js';
export * from './errors.js';
export type { HypervLab, HypervVm } from './hyperv/lab.js';
export { followRestart } from './kd/follow.js';
export { type DebuggerRequest, debuggerOptions, openDebugger, openDumpDebugger } from './kd/open.js';
export * from './kd/port.js';
export { rearmAfterRestore } from './kd/restore.js';
export { KdSession, type KdSessionOptions } from './kd/session.js';
export * from './params/bugcheck.js';
export * from './params/duration.js';
export * from './params/numbers.js';
export * from './params/verifier-flags.js';
export * from './parsers/index.js';
export { paths } from './paths.js';
export { PoolClient } from './pool/client.js';
export * from './pool/pool.js';
export * from './ports.js';
export * from './rules/addresses.js';
export { bucketId } from './rules/buckets.js';
export * from './rules/commit.js';
export * from './rules/crash.js';
export * from './rules/filters.js';
export * from './rules/ndis.js';
export * from './rules/pool.js';
export * from './rules/storage.js';
export * from './rules/verifier.js';
export * from './rules/vss.js';
export { closest } from './util/similar.js';
