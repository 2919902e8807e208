import fsp from 'node:fs/promises';
import net from 'node:net';
import { CONSOLE_CLOSED, VM_STOPPED, type ChannelSink, type ConsoleChannel } from './console-channel';
import { FileFollower } from '../fsutil/file-follower';
import { fromLineStart, Scrollback, SCROLLBACK_BYTES } from './scrollback';

/** A character console of QEMU: its unix socket (input) and the log QEMU writes of its output. */
export interface HubSource {
  socketPath: string;
  logFile: string;
}

/** inotify wakes the hub at once; this poll only covers file systems where it does not. */
const POLL_MS = 100;
/** Output held for one viewer that is slower than the console before the oldest is dropped. */
const VIEWER_BACKLOG_BYTES = 1 << 20;
const SKIPPED_NOTE = Buffer.from('\r\n[tessera: output skipped while this viewer was behind]\r\n');

/**
 * The one connection to a VM's serial console (or monitor), shared by any number of viewers.
 * QEMU's socket chardev takes a single client, so the hub holds it while anyone watches.
 *
 * Output is read from the log QEMU writes itself (`logfile=`), not from the socket: the log has
 * every byte of the run exactly once, whether or not anyone was connected, so a late viewer's
 * scrollback and the live stream join without a gap or a repeat, and a backend that re-attached
 * to a running VM still shows its boot log. The socket is for input; what QEMU also sends
 * there is read and dropped so the guest never blocks on it.
 */
export class ConsoleHub {
  private socket: net.Socket | undefined;
  private follower: FileFollower | undefined;
  private ready: Promise<void> | undefined;
  private readonly viewers = new Set<HubViewer>();
  private readonly scrollback = new Scrollback();
  private ended = false;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: HubSource,
    /** Told once when the hub has no viewers left or its console went away. */
    private readonly onDone: () => void,
  ) {}

  /** A new viewer. Rejects when QEMU's socket does not answer (the VM stopped). */
  async attach(): Promise<ConsoleChannel> {
    this.ready ??= this.connect();
    try {
      await this.ready;
    } catch (error) {
      this.end(CONSOLE_CLOSED);
      throw error;
    }
    if (this.ended) throw new Error('the console went away');
    const viewer = new HubViewer(this);
    this.viewers.add(viewer);
    return viewer;
  }

  /** End every viewer's session (the VM stopped) and let go of QEMU. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.socket?.destroy();
    this.follower?.close();
    for (const viewer of this.viewers) viewer.ended(reason);
    this.viewers.clear();
    this.onDone();
  }

  /** What a viewer that joins now sees first. */
  history(): Buffer {
    return this.scrollback.contents();
  }

  /** A viewer's keystrokes, to QEMU. */
  input(data: Buffer): boolean {
    if (!this.socket || this.socket.destroyed) return true;
    return this.socket.write(data);
  }

  leave(viewer: HubViewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.end(CONSOLE_CLOSED);
  }

  private async connect(): Promise<void> {
    const socket = net.createConnection(this.source.socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.socket = socket;
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
    socket.on('drain', () => {
      for (const viewer of this.viewers) viewer.drained();
    });
    // QEMU closes the socket when it exits: its last words are in the log, then the session ends.
    socket.on('close', () => void this.readNew().finally(() => this.end(VM_STOPPED)));

    let size = 0;
    try {
      size = (await fsp.stat(this.source.logFile)).size;
    } catch {
      // No output yet.
    }
    const from = Math.max(0, size - SCROLLBACK_BYTES);
    this.follower = new FileFollower(this.source.logFile, from);
    const first = await this.follower.read();
    const seed = Buffer.concat(first.chunks);
    // Starting inside the log: begin at a line break, not inside a line or a character.
    this.scrollback.push(from > 0 ? fromLineStart(seed) : seed);
    void this.follow();
  }

  private async follow(): Promise<void> {
    const follower = this.follower;
    while (follower && !this.ended) {
      await follower.changed(POLL_MS);
      await this.readNew();
    }
  }

  /** Deliver what the log gained; one read at a time, or two would deliver the same bytes. */
  private readNew(): Promise<void> {
    this.reading = this.reading.then(async () => {
      if (!this.follower || this.ended) return;
      const { chunks, restarted } = await this.follower.read();
      if (restarted) this.scrollback.clear();
      for (const chunk of chunks) {
        this.scrollback.push(chunk);
        for (const viewer of this.viewers) viewer.deliver(chunk);
      }
    });
    // A log that cannot be read now (it is being rotated) is read again on the next change.
    this.reading = this.reading.catch(() => undefined);
    return this.reading;
  }
}

/** One viewer of a hub. */
class HubViewer implements ConsoleChannel {
  private sink: ChannelSink | undefined;
  private paused = false;
  private readonly backlog = new Scrollback(VIEWER_BACKLOG_BYTES);
  private skipped = false;
  /** Why the session ended, once it has. */
  private endReason: string | undefined;

  constructor(private readonly hub: ConsoleHub) {}

  start(sink: ChannelSink): void {
    if (this.endReason !== undefined) return sink.end(this.endReason);
    this.sink = sink;
    const past = this.hub.history();
    if (past.length > 0) sink.data(past);
  }

  deliver(chunk: Buffer): void {
    if (!this.sink) return;
    if (!this.paused) return this.sink.data(chunk);
    if (this.backlog.byteLength + chunk.length > VIEWER_BACKLOG_BYTES) this.skipped = true;
    this.backlog.push(chunk);
  }

  write(data: Buffer, isText: boolean): boolean {
    // Text frames are control messages; serial and monitor have none.
    if (isText || this.endReason !== undefined) return true;
    return this.hub.input(data);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    if (!this.sink) return;
    if (this.skipped) this.sink.data(SKIPPED_NOTE);
    if (this.backlog.byteLength > 0) this.sink.data(this.backlog.contents());
    this.backlog.clear();
    this.skipped = false;
  }

  drained(): void {
    this.sink?.drain();
  }

  ended(reason: string): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    this.sink?.end(reason);
  }

  close(reason = CONSOLE_CLOSED): void {
    if (this.endReason !== undefined) return;
    this.ended(reason);
    this.hub.leave(this);
  }
}
