import fs from 'node:fs';
import fsp from 'node:fs/promises';

const READ_CHUNK = 1 << 20;

/**
 * Reads what a growing file (QEMU's serial or monitor log) gained since the last read. A file
 * that shrank was truncated by a new run: reading starts again at 0 and says so, so nothing of
 * the old run is joined to the new one.
 */
export class FileFollower {
  private watcher: fs.FSWatcher | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly file: string,
    public offset = 0,
  ) {}

  async read(): Promise<{ chunks: Buffer[]; restarted: boolean }> {
    const chunks: Buffer[] = [];
    let restarted = false;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file, 'r');
    } catch {
      return { chunks, restarted };
    }
    try {
      const { size } = await handle.stat();
      if (size < this.offset) {
        this.offset = 0;
        restarted = true;
      }
      while (this.offset < size) {
        const chunk = Buffer.alloc(Math.min(size - this.offset, READ_CHUNK));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        chunks.push(chunk.subarray(0, bytesRead));
      }
      return { chunks, restarted };
    } finally {
      await handle.close();
    }
  }

  /**
   * Resolves when the file may have changed: at once through inotify, or after `pollMs` on file
   * systems where inotify says nothing (and while the file does not exist yet).
   */
  async changed(pollMs: number): Promise<void> {
    if (!this.watcher) {
      try {
        this.watcher = fs.watch(this.file, () => this.wake?.());
        this.watcher.on('error', () => this.unwatch());
      } catch {
        // Not there yet; polling covers it.
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, pollMs);
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  /** Wake a pending `changed` and stop watching. */
  close(): void {
    this.wake?.();
    this.unwatch();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
