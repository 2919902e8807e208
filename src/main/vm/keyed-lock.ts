/**
 * One piece of work at a time per key (a VM's start, stop, edit or USB change), in the order
 * asked; work on other keys runs alongside. A failed piece does not hold up the next.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.tails.set(key, next);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }
  }

  /** The last piece of work queued for each key still busy. */
  busy(): Promise<unknown>[] {
    return [...this.tails.values()];
  }
}
