import fs from 'node:fs';
import type { CapturedOutput } from '../../shared/run-record';

/**
 * One stream of a step's output, written to its file in the record as it arrives and never
 * held whole: past `limitBytes` the rest is counted and dropped, and the capture says truncated.
 */
export class OutputFile {
  private written = 0;
  private seen = 0;
  private readonly stream: fs.WriteStream;
  private readonly done: Promise<void>;

  constructor(
    readonly path: string,
    /** The name the record gives it, relative to the run's directory. */
    private readonly name: string,
    private readonly limitBytes: number,
  ) {
    this.stream = fs.createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.done = new Promise((resolve, reject) => {
      this.stream.once('close', resolve);
      this.stream.once('error', reject);
    });
  }

  write(chunk: Buffer): void {
    this.seen += chunk.length;
    const room = this.limitBytes - this.written;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.written += part.length;
    this.stream.write(part);
  }

  get truncated(): boolean {
    return this.seen > this.written;
  }

  /** Bytes the stream produced, kept or not. */
  get producedBytes(): number {
    return this.seen;
  }

  async close(): Promise<CapturedOutput> {
    this.stream.end();
    await this.done;
    return { file: this.name, bytes: this.written, truncated: this.truncated };
  }
}
