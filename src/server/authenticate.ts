import { createHash, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { ErrorCode, RegistryError } from '../core/index.ts';
import { LOCAL_ADMIN, parseGrant, type Grant, type Principal } from '../graphql/access.ts';

export interface ApiKeyConfig {
  name: string;
  /** SHA-256 of the key, hex; the key itself is never stored. */
  sha256: string;
  grants: Grant[];
}

export interface JwtConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSec: number;
  /** Claim holding grants: "role", "role:registryGlob" or "role:registryGlob:modelGlob", a string or a list. */
  rolesClaim: string;
  principalClaim: string;
}

export interface AuthConfig {
  apiKeys: ApiKeyConfig[];
  jwt?: JwtConfig;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** Turns an Authorization header into a principal, or UNAUTHENTICATED; never echoes the credential. */
export class Authenticator {
  private readonly keys: { name: string; digest: Buffer; grants: Grant[] }[];
  private readonly jwt: JwtConfig | undefined;
  private verifier: Promise<(token: string) => Promise<JWTPayload>> | undefined;

  constructor(config: AuthConfig | undefined) {
    this.keys = (config?.apiKeys ?? []).map((k) => ({ name: k.name, digest: Buffer.from(k.sha256, 'hex'), grants: k.grants }));
    this.jwt = config?.jwt;
  }

  get enabled(): boolean {
    return this.keys.length > 0 || this.jwt !== undefined;
  }

  /** jose loads with the first token, so a gateway without JWT auth never pays its memory; one key set (and its cache) per gateway. */
  private verify(token: string): Promise<JWTPayload> {
    const jwt = this.jwt!;
    this.verifier ??= import('jose').then(({ createRemoteJWKSet, jwtVerify }) => {
      const jwks = createRemoteJWKSet(new URL(jwt.jwksUrl), { timeoutDuration: 5_000 });
      return async (token: string) =>
        (await jwtVerify(token, jwks, { issuer: jwt.issuer, audience: jwt.audience, algorithms: jwt.algorithms, clockTolerance: jwt.clockToleranceSec })).payload;
    });
    return this.verifier.then((verify) => verify(token));
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    if (!this.enabled) return LOCAL_ADMIN;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw unauthenticated('Send Authorization: Bearer <API key or token>');
    const credential = match[1]!;
    if (this.jwt && JWT_SHAPE.test(credential)) return this.fromJwt(credential);
    const digest = createHash('sha256').update(credential).digest();
    const key = this.keys.find((k) => k.digest.length === digest.length && timingSafeEqual(k.digest, digest));
    if (!key) throw unauthenticated('The API key or token is not valid');
    return { id: key.name, via: 'api-key', grants: key.grants };
  }

  private async fromJwt(token: string): Promise<Principal> {
    const jwt = this.jwt!;
    let payload: JWTPayload;
    try {
      payload = await this.verify(token);
    } catch (error) {
      // jose's codes say why (expired, wrong audience...) without revealing the token.
      throw unauthenticated(`The token was refused (${(error as { code?: string }).code ?? 'invalid'})`);
    }
    const subject = payload[jwt.principalClaim];
    if (typeof subject !== 'string' || !subject) throw unauthenticated(`The token has no ${jwt.principalClaim} claim`);
    const claim = payload[jwt.rolesClaim];
    const entries = Array.isArray(claim) ? claim : typeof claim === 'string' ? [claim] : [];
    const grants = entries.filter((e): e is string => typeof e === 'string').map(parseGrant).filter((g): g is Grant => g !== null);
    return { id: subject, via: 'jwt', grants };
  }
}

const unauthenticated = (message: string) => new RegistryError(ErrorCode.UNAUTHENTICATED, message);
