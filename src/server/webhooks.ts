import type { Webhook } from '../events/webhooks/dispatcher.ts';
import { ConfigError, type WebhookConfig } from './config.ts';

/** The configured webhooks with their secrets from the environment; a missing secret stops the start. */
export function resolveWebhooks(configs: readonly WebhookConfig[], env: NodeJS.ProcessEnv): Webhook[] {
  return configs.map(({ secretEnv, ...config }) => {
    const secret = env[secretEnv];
    if (!secret) throw new ConfigError(`Webhook '${config.id}' signs with the secret in $${secretEnv}, which is not set (or empty)`);
    return { ...config, secret };
  });
}
