import type { ErrorCode } from '@openfeature/core';
import type { Attributes } from '../assignment';
import type { VerdictClient } from './local-client';
import type { SdkAssignment } from './snapshot';

/**
 * An OpenFeature provider over a Verdict client, for the server SDK (`@openfeature/server-sdk`)
 * and the web SDK (`@openfeature/web-sdk`) alike: a storefront already on OpenFeature switches
 * with one line, `OpenFeature.setProvider(new VerdictProvider(client))`.
 *
 * The flag key is the experiment key, the evaluation context's `targetingKey` the unit id, its
 * other scalar fields the attributes. The variant key is the string value; the payload is
 * the object value; a boolean flag is `inExperiment`. Evaluations record nothing themselves:
 * the provider's `after` hook records the exposure once the application has been given the
 * value (OpenFeature's place for side effects), under the same rules as /v1/assign.
 * It imports only OpenFeature's types (an optional peer dependency): the SDK and its bundle
 * carry no OpenFeature code.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Context = { targetingKey?: string; [key: string]: unknown };
interface Resolution<T> {
  value: T;
  variant?: string;
  reason?: string;
  errorCode?: ErrorCode;
  errorMessage?: string;
  flagMetadata?: Record<string, string | number | boolean>;
}

function attributesOf(context: Context): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(context)) {
    if (k === 'targetingKey') continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

/** OpenFeature's reasons for Verdict's. */
const REASONS: Record<SdkAssignment['reason'], string> = {
  bucketed: 'SPLIT',
  forced: 'TARGETING_MATCH',
  not_targeted: 'DEFAULT',
  coverage: 'DEFAULT',
  layer: 'DEFAULT',
  holdout: 'DEFAULT',
  opted_out: 'DISABLED',
  not_running: 'DISABLED',
  unknown: 'ERROR',
  not_ready: 'ERROR',
};

export class VerdictProvider {
  readonly metadata = { name: 'verdict' } as const;
  readonly runsOn = undefined;
  readonly hooks: { after(hookContext: { flagKey: string; context: Context }): void }[];

  constructor(private readonly client: VerdictClient) {
    this.hooks = [
      {
        after: (hookContext) => {
          const unitId = hookContext.context.targetingKey;
          if (!unitId) return;
          // Recomputed (microseconds) rather than carried over, so a hook never records what was not served.
          this.client.assignOne(hookContext.flagKey, unitId, attributesOf(hookContext.context), { track: true });
        },
      },
    ];
  }

  initialize(): Promise<void> {
    return this.client.ready();
  }

  onClose(): Promise<void> {
    return this.client.close();
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: Context, pick: (a: SdkAssignment) => T | undefined): Resolution<T> {
    const unitId = context.targetingKey;
    if (!unitId) return { value: defaultValue, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' as ErrorCode, errorMessage: 'the evaluation context needs a targetingKey (the unit id)' };
    const a = this.client.assignOne(flagKey, unitId, attributesOf(context), { track: false });
    if (a.reason === 'not_ready') return { value: defaultValue, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' as ErrorCode, errorMessage: 'no configuration snapshot yet' };
    if (a.reason === 'unknown' || a.variant === null) return { value: defaultValue, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' as ErrorCode, errorMessage: `no experiment "${flagKey}"` };
    const value = pick(a);
    const flagMetadata = { reason: a.reason, inExperiment: a.inExperiment };
    if (value === undefined) return { value: defaultValue, variant: a.variant, reason: REASONS[a.reason], flagMetadata };
    return { value, variant: a.variant, reason: REASONS[a.reason], flagMetadata };
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: Context): Promise<Resolution<string>> {
    return this.resolve(flagKey, defaultValue, context, (a) => a.variant ?? undefined);
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: Context): Promise<Resolution<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (a) => a.inExperiment);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: Context): Promise<Resolution<number>> {
    return this.resolve(flagKey, defaultValue, context, (a) => (typeof a.payload === 'number' ? a.payload : undefined));
  }

  async resolveObjectEvaluation<T extends Json>(flagKey: string, defaultValue: T, context: Context): Promise<Resolution<T>> {
    return this.resolve(flagKey, defaultValue, context, (a) => (a.payload === undefined ? undefined : (a.payload as T)));
  }
}
