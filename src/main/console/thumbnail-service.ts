import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import type { CallOutput } from '../../shared/contract';
import { hasScreen, type VmInfo } from '../../shared/vm-spec';
import { isDown, isLive } from '../../shared/vm-actions';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { vmDataFiles, type TesseraPaths } from '../paths';
import type { DomainEventBus } from '../events';
import type { VmService } from '../vm';
import { decodePng, encodePng } from './png';
import { parsePpm, scaleToWidth } from './rgb-image';

export type Thumbnail = CallOutput<'vm.thumbnail'>;

interface Frame {
  /** Kept encoded: every poll of a paused VM sends the same string again. */
  pngBase64: string;
  width: number;
  height: number;
}

/** One screen dump of a VM, kept at the widths asked for. */
interface Grab {
  /** When the dump was asked for (ms): a paused VM's screen after that cannot have changed. */
  at: number;
  takenAt: string;
  frames: Map<number, Frame>;
}

/**
 * The encoded frames of the last few distinct screens of a VM, by a hash of the raw dump. Most
 * screens of a gallery sit still while they are polled every second, or flip between two
 * pictures (a blinking cursor); shrinking and deflating the same pixels again was most of the
 * backend's CPU with 16 running VMs (bench/thumbnail-cpu.ts), and hashing a dump costs a
 * fraction of that.
 */
const SCREENS_KEPT = 4;

/**
 * Several fronts (the window, a browser tab) polling one card share a dump made this recently;
 * the UI asks about once a second.
 */
const RUNNING_FRESH_MS = 500;

const NO_PICTURE: Thumbnail = { pngBase64: null, width: 0, height: 0, takenAt: null, live: false };

export interface ThumbnailServiceOptions {
  paths: TesseraPaths;
  vms: Pick<VmService, 'get' | 'screendump'>;
  /** A VM that stops leaves its last frame on disk; vm.changed tells when. */
  bus?: DomainEventBus;
  now?: () => number;
}

/**
 * Small pictures of VM screens for gallery cards. A running VM is dumped (PPM: no decoding),
 * shrunk and encoded as PNG; a paused VM's frame is reused for as long as it stays paused; a VM
 * that stopped shows the last frame it was seen with, kept in its data dir.
 */
export class ThumbnailService {
  private readonly grabs = new Map<string, Grab>();
  private readonly screens = new Map<string, Map<string, Map<number, Frame>>>();
  private readonly pending = new Map<string, Promise<Thumbnail>>();
  /** Last frames being written for VMs that just stopped: asking for one waits for its file. */
  private readonly saving = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private readonly now: () => number;

  constructor(private readonly options: ThumbnailServiceOptions) {
    this.now = options.now ?? Date.now;
    const bus = options.bus;
    const stops = bus
      ? [
          bus.on('vm.changed', ({ vm }) => {
            if (isDown(vm.state)) this.keepLastFrame(vm.id);
          }),
          bus.on('vm.removed', ({ id }) => {
            this.grabs.delete(id);
            this.screens.delete(id);
          }),
        ]
      : [];
    this.unsubscribe = () => stops.forEach((stop) => stop());
  }

  async thumbnail(id: string, maxWidth: number): Promise<Thumbnail> {
    const vm = await this.options.vms.get(id);
    if (!hasScreen(vm.spec)) return NO_PICTURE;
    if (isDown(vm.state)) return this.lastFrame(id, maxWidth);
    const grab = this.grabs.get(id);
    const fresh =
      grab !== undefined &&
      (vm.state === 'paused' ? grab.at >= Date.parse(vm.since) : this.now() - grab.at < RUNNING_FRESH_MS);
    const frame = fresh ? grab.frames.get(maxWidth) : undefined;
    if (grab && frame) return live(frame, grab.takenAt);

    const key = `${id}/${maxWidth}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.grab(vm, maxWidth, fresh ? grab : undefined).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (isLive(vm.state)) throw error;
      // QEMU is coming up or going away: show the frame last seen (the previous run's while it
      // starts) until it answers again.
      const seen = this.grabs.get(id);
      const frame = seen?.frames.get(maxWidth);
      if (seen && frame) return { ...live(frame, seen.takenAt), live: false };
      return this.lastFrame(id, maxWidth);
    }
  }

  /** Stop listening, and keep the last frame of every VM seen for the next backend. */
  async close(): Promise<void> {
    this.unsubscribe();
    for (const id of this.grabs.keys()) this.keepLastFrame(id);
    await Promise.all(this.saving.values());
  }

  private async grab(vm: VmInfo, maxWidth: number, into: Grab | undefined): Promise<Thumbnail> {
    const { id } = vm;
    const at = this.now();
    const dump = await this.options.vms.screendump(id, 'ppm', vm.spec);
    const frames = this.framesOf(id, createHash('sha1').update(dump).digest('base64'));
    let frame = frames.get(maxWidth);
    if (!frame) {
      const image = scaleToWidth(parsePpm(dump), maxWidth);
      frame = { pngBase64: encodePng(image).toString('base64'), width: image.width, height: image.height };
      frames.set(maxWidth, frame);
    }
    const grab = into ?? { at, takenAt: new Date(at).toISOString(), frames: new Map<number, Frame>() };
    grab.frames.set(maxWidth, frame);
    this.grabs.set(id, grab);
    return live(frame, grab.takenAt);
  }

  /** The frames already made of the screen with this digest (the most recent first when evicting). */
  private framesOf(id: string, digest: string): Map<number, Frame> {
    let screens = this.screens.get(id);
    if (!screens) this.screens.set(id, (screens = new Map()));
    const frames = screens.get(digest) ?? new Map<number, Frame>();
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently seen.
    screens.delete(digest);
    screens.set(digest, frames);
    if (screens.size > SCREENS_KEPT) screens.delete(screens.keys().next().value as string);
    return frames;
  }

  private keepLastFrame(id: string): void {
    const grab = this.grabs.get(id);
    if (!grab || this.saving.has(id)) return;
    this.grabs.delete(id);
    const widest = [...grab.frames.values()].reduce((a, b) => (b.width > a.width ? b : a));
    const file = vmDataFiles(this.options.paths.dataDir, id).lastFrame;
    const saved = (async () => {
      try {
        await writeFileAtomic(file, Buffer.from(widest.pngBase64, 'base64'));
        const taken = new Date(grab.takenAt);
        await fsp.utimes(file, taken, taken);
      } catch {
        // Only a picture for a card: a card without it says the VM has not been seen yet.
      } finally {
        this.saving.delete(id);
      }
    })();
    this.saving.set(id, saved);
  }

  private async lastFrame(id: string, maxWidth: number): Promise<Thumbnail> {
    await this.saving.get(id);
    const file = vmDataFiles(this.options.paths.dataDir, id).lastFrame;
    let png: Buffer;
    let takenAt: string;
    try {
      png = await fsp.readFile(file);
      takenAt = (await fsp.stat(file)).mtime.toISOString();
    } catch {
      return NO_PICTURE;
    }
    let image;
    try {
      image = decodePng(png);
    } catch {
      return NO_PICTURE;
    }
    if (image.width > maxWidth) {
      image = scaleToWidth(image, maxWidth);
      png = encodePng(image);
    }
    return {
      pngBase64: png.toString('base64'),
      width: image.width,
      height: image.height,
      takenAt,
      live: false,
    };
  }
}

function live(frame: Frame, takenAt: string): Thumbnail {
  return {
    pngBase64: frame.pngBase64,
    width: frame.width,
    height: frame.height,
    takenAt,
    live: true,
  };
}
