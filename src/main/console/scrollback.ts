/** How much of a console's past a late viewer gets (the "last 1 MiB"). */
export const SCROLLBACK_BYTES = 1 << 20;

/**
 * `data` from its first line break on, when one is near: text cut out of a longer output
 * should not begin inside a line, a UTF-8 character or an escape sequence.
 */
export function fromLineStart(data: Buffer): Buffer {
  const newline = data.subarray(0, 4096).indexOf(0x0a);
  return newline === -1 ? data : data.subarray(newline + 1);
}

/** At most `limit` bytes from the end of `data`, from a line start when it had to be cut. */
export function keepTail(data: Buffer, limit: number): Buffer {
  return data.length <= limit ? data : fromLineStart(data.subarray(data.length - limit));
}

/** The last `limit` bytes of a console's output, kept as the chunks that arrived. */
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = SCROLLBACK_BYTES) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (let first = this.chunks[0]; first && this.size > this.limit; first = this.chunks[0]) {
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        const kept = keepTail(first, first.length - excess);
        this.chunks[0] = kept;
        this.size -= first.length - kept.length;
      }
    }
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  get byteLength(): number {
    return this.size;
  }

  contents(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
