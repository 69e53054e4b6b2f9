import type { ComplexityEstimator, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { ALL_STAGES, DEFAULT_PAGE_SIZE } from '../core/index.ts';
import { DEFAULT_COMPARE_LAST } from '../workflows/compare.ts';

/*
 * What each field may cost, declared next to the field with type-graphql's `complexity`
 * option (graphql-query-complexity's field-extension convention) and read by limits.ts.
 * A price is the field itself plus its children once per item the field can return.
 */

/** A field that calls a backend once per item it is asked on (not batched). */
export const BACKEND_CALL = 10;

/** What a list without `first` is priced at when the schema cannot know its length. */
export const LIST_BOUND = { metrics: 10, params: 10, tags: 10 } as const;

/** Extra facts limits.ts gives every price: how many registries the gateway serves. */
export interface GatewayPricing {
  registryCount: number;
}

type PriceArgs = ComplexityEstimatorArgs & Partial<GatewayPricing>;

const count = (value: unknown): number | null => (Array.isArray(value) && value.length > 0 ? new Set(value).size : null);
const positive = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;

/** `items` children, after `own` for the field itself. */
const times = (own: number, items: number, childComplexity: number) => own + items * Math.max(childComplexity, 1);

/** A list of at most `bound` small items, read with its parent (no extra backend call). */
export const boundedList = (bound: number): ComplexityEstimator => ({ childComplexity }) => times(1, bound, childComplexity);

/** One backend call for the field, then its children. */
export const backendCall: ComplexityEstimator = ({ childComplexity }) => BACKEND_CALL + childComplexity;

/** A page: one backend call, then children once per item of `first` (default page size). */
export const paged: ComplexityEstimator = ({ args, childComplexity }) => times(BACKEND_CALL, positive(args.first, DEFAULT_PAGE_SIZE), childComplexity);

/** compareVersions: one row per distinct version asked for, else the newest `last`. */
export const comparedVersions: ComplexityEstimator = ({ args, childComplexity }) =>
  times(BACKEND_CALL * 2, count(args.versions) ?? positive(args.last, DEFAULT_COMPARE_LAST), childComplexity);

/** compareRegistries: three backend calls per distinct registry (all configured when none are named). */
export const comparedRegistries: ComplexityEstimator = (options) => {
  const { args, childComplexity, registryCount } = options as PriceArgs;
  return times(0, count(args.registries) ?? registryCount ?? 1, BACKEND_CALL * 3 + childComplexity);
};

/** registries: one item per configured registry. */
export const everyRegistry: ComplexityEstimator = (options) => {
  const { childComplexity, registryCount } = options as PriceArgs;
  return times(1, registryCount ?? 1, childComplexity);
};

/** latestVersions: at most one version per distinct stage asked for (every stage when none are). */
export const latestPerStage: ComplexityEstimator = ({ args, childComplexity }) =>
  times(BACKEND_CALL, count(args.stages) ?? ALL_STAGES.length, childComplexity);
