/**
 * verdict/sdk: local assignment from a live configuration snapshot (see client.ts), and
 * OpenFeature providers (openfeature.ts).
 */
export { createClient, exposureEventId } from './local-client';
export type { ClientOptions, AssignOptions, AssignResult, ExposureEvent, VerdictClient } from './local-client';
export { compileSnapshot } from './snapshot';
export type { ConfigSnapshot, ConfigExperiment, SdkAssignment, CompiledSnapshot } from './snapshot';
export { parseEvents } from './sse';
export { VerdictProvider } from './openfeature';
