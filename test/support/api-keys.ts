import { createHash } from 'node:crypto';

/** What `auth.apiKeys[].sha256` holds for a key. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** One entry of a gateway's `auth.apiKeys`: the key named `name`, granted `role` on `models` in every registry. */
export const apiKey = (name: string, key: string, role: string, models: string[] = ['*']) => ({ name, sha256: sha256(key), grants: [{ role, registries: ['*'], models }] });
