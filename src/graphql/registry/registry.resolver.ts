import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from '../type-graphql.ts';
import type { Health, RegistryAdapter, TextRule } from '../../core/index.ts';
import type { GatewayContext } from '../context.ts';
import { globMatches } from '../../workflows/policy.ts';
import { CapabilitiesType, HealthType, RegistryType, TextRuleType } from './registry.type.ts';
import { backendCall, everyRegistry } from '../pricing.ts';

const HEALTH_TIMEOUT_MS = 5_000;

@Resolver(() => RegistryType)
export class RegistryResolver {
  @Query(() => [RegistryType], { complexity: everyRegistry, description: 'Every configured registry, the default first' })
  registries(@Ctx() ctx: GatewayContext) {
    const all = ctx.registries.list().filter((r) => ctx.access.grants.some((g) => g.registries.some((glob) => globMatches(glob, r.id))));
    return [...all.filter((r) => r.id === ctx.registries.defaultId), ...all.filter((r) => r.id !== ctx.registries.defaultId)];
  }

  @Query(() => RegistryType, { description: 'One registry; the default when id is omitted' })
  registry(@Arg('id', () => String, { nullable: true }) id: string | null, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(id);
    if (!ctx.access.grants.some((g) => g.registries.some((glob) => globMatches(glob, registry.id)))) ctx.authorize('read', registry.id, null);
    return registry;
  }

  @FieldResolver(() => HealthType, { complexity: backendCall, description: 'Probed now; a failing backend reports ok: false, not an error' })
  health(@Root() registry: RegistryAdapter): Promise<Health> {
    return probe(registry);
  }

  @FieldResolver(() => CapabilitiesType)
  capabilities(@Root() registry: RegistryAdapter): CapabilitiesType {
    const capabilities = registry.capabilities();
    const limits = capabilities.limits;
    return {
      ...capabilities,
      stages: capabilities.stages as CapabilitiesType['stages'],
      aliases: capabilities.aliases as CapabilitiesType['aliases'],
      metrics: capabilities.metrics as CapabilitiesType['metrics'],
      limits: {
        modelName: textRule(limits.modelName),
        tagKey: textRule(limits.tagKey),
        tagValue: textRule(limits.tagValue),
        description: textRule(limits.description),
        source: textRule(limits.source),
        versionDescriptionChange: limits.versionDescriptionChange ? textRule(limits.versionDescriptionChange) : null,
        cardValue: limits.cardValue ? textRule(limits.cardValue) : null,
        maxVersionTags: limits.maxVersionTags,
      },
    };
  }
}

const textRule = (rule: TextRule): TextRuleType => ({
  maxLength: rule.maxLength,
  pattern: rule.pattern?.source ?? null,
  rule: rule.rule ?? null,
});

/** A health probe that always answers within the timeout. */
export async function probe(registry: RegistryAdapter): Promise<Health> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Health>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, latencyMs: HEALTH_TIMEOUT_MS, message: `no answer within ${HEALTH_TIMEOUT_MS} ms` }),
      HEALTH_TIMEOUT_MS,
    );
  });
  const checked = registry.health().catch((error: unknown) => ({
    ok: false,
    latencyMs: performance.now() - started,
    message: error instanceof Error ? error.message : String(error),
  }));
  try {
    return await Promise.race([checked, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
