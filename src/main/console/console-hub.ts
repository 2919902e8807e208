import net from 'node:net';
import { CONSOLE_CLOSED, VM_STOPPED, type ChannelSink, type ConsoleChannel } from './console-channel';
import { readFileTail } from '../fsutil/file-tail';
import { fromLineStart, Scrollback, SCROLLBACK_BYTES } from './scrollback';

/** A character console of QEMU: its unix socket (input) and the log QEMU writes of its output. */
export interface HubSource {
  socketPath: string;
  logFile: string;
}

/** Output held for one viewer that is slower than the console before the oldest is dropped. */
const VIEWER_BACKLOG_BYTES = 1 << 20;
const SKIPPED_NOTE = Buffer.from('\r\n[tessera: output skipped while this viewer was behind]\r\n');

/**
 * The one connection to a VM's serial console (or monitor), shared by any number of viewers.
 * QEMU's socket chardev takes a single client, so the hub holds it while anyone watches.
 *
 * What the console printed before the hub connected comes from the log QEMU writes itself
 * (`logfile=`), so a late viewer and a backend that re-attached to a running VM still see the boot
 * log. From the moment the hub is connected, output is read from the socket, not the log: when the
 * socket is full (a backend slow to read, on a loaded machine) QEMU's write fails with EAGAIN,
 * `qemu_chr_write_buffer` (chardev/char.c) logs the byte anyway, and the serial device writes it
 * again later (`serial_xmit`, hw/char/serial.c), so the log then holds that byte twice. The socket
 * has every byte once. What the guest prints in the instant between the hub's read of the log and
 * QEMU's accept reaches only the log, so a viewer may miss it; it never sees a byte twice.
 */
export class ConsoleHub {
  private socket: net.Socket | undefined;
  private ready: Promise<void> | undefined;
  private readonly viewers = new Set<HubViewer>();
  private readonly scrollback = new Scrollback();
  private ended = false;

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
    // The log up to now is the past; read before connecting, so nothing the socket brings is in it.
    const past = await readFileTail(this.source.logFile, SCROLLBACK_BYTES);
    this.scrollback.push(past.cut ? fromLineStart(past.data) : past.data);
    const socket = net.createConnection(this.source.socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.socket = socket;
    // Connected: QEMU sends what the guest prints from now on here.
    socket.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      this.scrollback.push(chunk);
      for (const viewer of this.viewers) viewer.deliver(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('drain', () => {
      for (const viewer of this.viewers) viewer.drained();
    });
    // QEMU closes the socket when it exits, after its last words.
    socket.on('close', () => this.end(VM_STOPPED));
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
