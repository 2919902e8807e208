import { randomBytes } from 'node:crypto';

export interface TokenRules {
  /** How long an unused token lives. */
  ttlMs: number;
  /**
   * How many connections the token admits (SPICE opens one WebSocket per channel of one
   * session). More than one needs `windowMs`.
   */
  uses?: number;
  /** After its first use, the token admits its remaining uses only this long. */
  windowMs?: number;
}

interface Entry<T> {
  value: T;
  expires: number;
  usesLeft: number;
  windowMs: number;
  used: boolean;
}

/**
 * One-time (or few-times) tokens: unguessable, short-lived, never replayable once spent.
 * The clock is injected so tests can move it by hand.
 */
export class TokenBook<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(value: T, rules: TokenRules): string {
    this.sweep();
    const token = randomBytes(24).toString('base64url');
    this.entries.set(token, {
      value,
      expires: this.now() + rules.ttlMs,
      usesLeft: rules.uses ?? 1,
      windowMs: rules.windowMs ?? 0,
      used: false,
    });
    return token;
  }

  /** The token's value when it is valid, undefined when it is wrong, spent or expired. */
  redeem(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const now = this.now();
    if (entry.expires < now) {
      this.entries.delete(token);
      return undefined;
    }
    if (!entry.used) {
      entry.used = true;
      entry.expires = now + entry.windowMs;
    }
    entry.usesLeft -= 1;
    if (entry.usesLeft <= 0) this.entries.delete(token);
    return entry.value;
  }

  /** Spend every token whose value matches, e.g. all of a VM that stopped. */
  revoke(matches: (value: T) => boolean): void {
    for (const [token, entry] of this.entries) if (matches(entry.value)) this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) if (entry.expires < now) this.entries.delete(token);
  }
}
