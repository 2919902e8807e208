import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import {
  ImageName,
  ResetSchedule,
  type GoldenStatus,
  type ImageInfo,
  type ResetMode,
  type ResetOutcome,
} from '../../shared/images';
import { VmConfig, type DiskSpec, type VmInfo, type VmSpec } from '../../shared/vm-spec';
import { isLive, isUp } from '../../shared/vm-actions';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { vmDataFiles, type TesseraPaths } from '../paths';
import type { DomainEventBus } from '../events';
import type { VmService } from '../vm';
import { GOLDEN_MODE, ImageRegistry, publicImage } from './image-registry';
import { convertToQcow2, createOverlay, imageInfo, measureFlattened, sha256File } from './qemu-img';
import { isDue, nextResetMs } from './reset-schedule';
import { warmResetBlocker } from './warm-blocker';

/** A VM's binding to its golden image: `overlays/<id>/golden.json`. The overlay in use is the spec's disk. */
const Binding = z.object({
  image: ImageName,
  diskIndex: z.int().min(0),
  schedule: ResetSchedule,
  readyText: z.string().nullable(),
  boundAt: z.iso.datetime(),
  lastReset: z
    .object({ at: z.iso.datetime(), mode: z.enum(['warm', 'cold']), reason: z.string() })
    .nullable(),
  /** The ready snapshot, valid only while `overlay` is still the VM's overlay. */
  snapshot: z.object({ overlay: z.string(), at: z.iso.datetime() }).nullable(),
  /**
   * The overlay has been started since it was made. A "fresh every boot" VM found starting on a
   * used overlay was not reset at its last stop (the backend or host died): it gets a new one.
   */
  overlayUsed: z.boolean(),
  /**
   * QEMU's own refusal of the last snapshot-save, when it named a blocker the spec does not show
   * (QEMU 7.2's qemu-vdagent chardev, the VNC clipboard agent, registers one: ui/vdagent.c).
   */
  snapshotRefused: z.string().nullable().default(null),
});
type Binding = z.infer<typeof Binding>;

const READY_TAG = 'tessera-ready';
const JOB_POLL_MS = 50;
const JOB_TIMEOUT_MS = 10 * 60_000;
const STOP_TIMEOUT_S = 30;
const TICK_MS = 1000;
/** Space a promote keeps free beyond what the copy needs, so the host is not left at zero. */
const SPACE_MARGIN_BYTES = 64 << 20;
/**
 * Crash tests (tests/integration/golden-crash.test.ts) set this to a step name so the backend
 * kills itself with SIGKILL right there, the way a power cut or `kill -9` would.
 */
const FAULT_ENV = 'TESSERA_FAULT_KILL_AT';

export type ImagesStep =
  'reset-stopped' | 'reset-overlay-created' | 'reset-spec-switched' | 'promote-halfway' | 'promote-copied';

export interface ImagesServiceOptions {
  paths: TesseraPaths;
  vms: VmService;
  bus: DomainEventBus;
  qemuImg: () => string;
  env?: NodeJS.ProcessEnv;
  /** Free bytes where images are written (statfs); tests may replace it. */
  freeBytes?: (dir: string) => Promise<number>;
}

async function statfsFree(dir: string): Promise<number> {
  const s = await fsp.statfs(dir);
  return s.bavail * s.bsize;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** The definition with other disks, as vm.update takes it (VmConfig drops name, uuid, createdAt). */
function withDisks(spec: VmSpec, disks: DiskSpec[]): VmConfig {
  return VmConfig.parse({ ...spec, disks });
}

function mib(bytes: number): string {
  return `${Math.ceil(bytes / 1048576)} MiB`;
}

/**
 * Golden images and booth resets (issue 11). One service: the image registry, each bound VM's
 * overlay in `overlays/<id>/`, cold and warm resets, promotes, schedules and idle watching.
 *
 * Crash safety comes from order: a new file is complete (and for images hashed and made
 * read-only) before anything names it, and an old file goes only after nothing names it any
 * more. Whatever step a `kill -9` hits, the VM's definition names a whole overlay over an
 * unchanged golden image; strays are removed when the next backend starts.
 */
export class ImagesService {
  readonly registry: ImageRegistry;
  private readonly overlaysDir: string;
  private readonly busy = new Map<string, 'reset' | 'promote'>();
  private readonly lastInput = new Map<string, number>();
  private readonly wasRunning = new Set<string>();
  /** VMs starting on a fresh overlay whose ready snapshot is taken once their ready text shows. */
  private readonly pendingReady = new Map<string, string>();
  private readonly unsubscribe: () => void;
  private readonly tick: NodeJS.Timeout;
  private readonly freeBytes: (dir: string) => Promise<number>;
  private closed = false;

  constructor(private readonly options: ImagesServiceOptions) {
    this.registry = new ImageRegistry(options.paths.dataDir);
    this.overlaysDir = path.join(options.paths.dataDir, 'overlays');
    this.freeBytes = options.freeBytes ?? statfsFree;
    options.vms.setBeforeStart((spec) => this.beforeStart(spec));
    this.unsubscribe = options.bus.on('vm.changed', ({ vm }) => void this.onVmChanged(vm));
    this.tick = setInterval(() => void this.runSchedules(), TICK_MS);
    this.tick.unref();
  }

  /** Remove what a killed backend left half done: partial images and overlays nothing names. */
  async recover(): Promise<void> {
    await this.registry.removePartials();
    for (const id of await this.boundIds()) {
      const spec = await this.options.vms.get(id).then(
        (v) => v.spec,
        () => undefined,
      );
      const binding = await this.binding(id).catch(() => undefined);
      if (!spec || !binding) continue;
      await this.removeStrayOverlays(id, spec.disks[binding.diskIndex]?.path);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.tick);
    this.unsubscribe();
  }

  // ---- images ----

  async listImages(): Promise<ImageInfo[]> {
    const images = await this.registry.load();
    const { vms } = await this.options.vms.list();
    return images.map((image) => ({
      ...publicImage(image),
      usedBy: vms.flatMap((vm) =>
        vm.spec.disks.flatMap((d) => {
          const v = image.versions.find((x) => x.path === d.backing?.path);
          return v ? [{ id: vm.id, version: v.version }] : [];
        }),
      ),
    }));
  }

  async image(name: string): Promise<ImageInfo> {
    const found = (await this.listImages()).find((i) => i.name === name);
    if (!found)
      throw new TesseraError('NOT_FOUND', `no golden image named '${name}': see tessera image list`);
    return found;
  }

  /**
   * Register a disk image as a new golden image: copied into images/<name>/v1 (the user's file
   * is only read, never moved or changed), hashed before and after the copy, made read-only.
   */
  async addImage(source: string, requestedName: string | undefined): Promise<ImageInfo> {
    if (!path.isAbsolute(source)) {
      throw new TesseraError('BAD_INPUT', `give the image's full path, starting with / (got "${source}")`);
    }
    const name =
      requestedName ??
      path
        .basename(source)
        .replace(/\.[^.]*$/, '')
        .replace(/[^A-Za-z0-9._-]/g, '-');
    const parsedName = ImageName.safeParse(name);
    if (!parsedName.success) {
      throw new TesseraError(
        'BAD_INPUT',
        `'${name}' cannot be an image name: give one with --name (letters, digits, ".", "_", "-")`,
      );
    }
    if ((await this.registry.load()).some((i) => i.name === name)) {
      throw new TesseraError(
        'CONFLICT',
        `a golden image named '${name}' exists: pick another name with --name`,
      );
    }
    let stat;
    try {
      stat = await fsp.stat(source);
    } catch {
      throw new TesseraError('NOT_FOUND', `${source} does not exist`);
    }
    if (!stat.isFile()) throw new TesseraError('BAD_INPUT', `${source} is not a file`);
    const info = await imageInfo(this.options.qemuImg(), source);
    if (info.format !== 'qcow2' && info.format !== 'raw') {
      throw new TesseraError(
        'BAD_INPUT',
        `${source} is a ${info.format} image: convert it to qcow2 first (qemu-img convert -O qcow2)`,
      );
    }
    if (info['backing-filename'] !== undefined) {
      throw new TesseraError(
        'BAD_INPUT',
        `${source} is an overlay of ${info['backing-filename']}: flatten it first (qemu-img convert -O qcow2 ${source} FLAT.qcow2)`,
      );
    }
    const folder = this.registry.folderOf(name);
    await fsp.mkdir(folder, { recursive: true, mode: 0o755 });
    const free = await this.freeBytes(folder);
    if (stat.size + SPACE_MARGIN_BYTES > free) {
      throw new TesseraError(
        'IO',
        `not enough space for a copy of ${source}: it needs ${mib(stat.size)}, ${mib(free)} are free in ${folder}`,
      );
    }
    const progress = (percent: number) => this.progress(name, 'add', percent);
    const before = await sha256File(source, (p) => progress(p / 3));
    const target = path.join(folder, `v1.${info.format}`);
    const partial = path.join(folder, `.v1.${info.format}.partial`);
    try {
      await fsp.copyFile(source, partial, fsp.constants.COPYFILE_FICLONE);
      progress(50);
      const after = await sha256File(partial, (p) => progress(50 + p / 2));
      if (after !== before)
        throw new TesseraError(
          'IO',
          `${source} changed while it was copied: try again once nothing writes it`,
        );
      await syncFile(partial);
      await fsp.chmod(partial, GOLDEN_MODE);
      await fsp.rename(partial, target);
      await syncFile(folder);
    } catch (error) {
      await fsp.rm(partial, { force: true });
      throw error;
    }
    const now = new Date().toISOString();
    await this.registry.addVersion(
      name,
      {
        version: 1,
        path: target,
        format: info.format,
        sizeBytes: stat.size,
        virtualSizeBytes: info['virtual-size'],
        sha256: before,
        createdAt: now,
        verifiedAt: now,
        source,
      },
      true,
    );
    progress(100);
    this.options.bus.emit('image.changed', { name });
    return this.image(name);
  }

  async verifyImage(
    name: string,
    version: number | undefined,
  ): Promise<{ ok: boolean; results: { version: number; ok: boolean; sha256: string; reason?: string }[] }> {
    const image = await this.registry.get(name);
    const versions = version === undefined ? image.versions.map((v) => v.version) : [version];
    const results = [];
    for (const v of versions) {
      const r = await this.registry.verify(name, v, (p) => this.progress(name, 'verify', p));
      results.push({ version: v, ...r });
    }
    this.options.bus.emit('image.changed', { name });
    return { ok: results.every((r) => r.ok), results };
  }

  async deleteImage(name: string, version: number | undefined): Promise<void> {
    const image = await this.image(name);
    const users = image.usedBy.filter((u) => version === undefined || u.version === version);
    if (users.length > 0) {
      throw new TesseraError(
        'CONFLICT',
        `golden image '${name}'${version === undefined ? '' : ` v${version}`} is in use by ${users.map((u) => `${u.id} (v${u.version})`).join(', ')}: reset them onto another version or turn golden off first`,
      );
    }
    const bound = (await this.statusAll()).filter((s) => s.image === name);
    if (version === undefined && bound.length > 0) {
      throw new TesseraError(
        'CONFLICT',
        `golden image '${name}' is bound to ${bound.map((b) => b.id).join(', ')}: turn golden off for them first`,
      );
    }
    await this.registry.remove(name, version);
    this.options.bus.emit('image.changed', { name });
  }

  // ---- bindings ----

  private bindingFile(id: string): string {
    return path.join(this.overlaysDir, id, 'golden.json');
  }

  private async binding(id: string): Promise<Binding> {
    let text: string;
    try {
      text = await fsp.readFile(this.bindingFile(id), 'utf8');
    } catch {
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${id}' is not on a golden image: tessera vm golden ${id} --image IMAGE`,
      );
    }
    const parsed = Binding.safeParse(JSON.parse(text));
    if (!parsed.success) throw new TesseraError('IO', `${this.bindingFile(id)} is damaged: fix or remove it`);
    return parsed.data;
  }

  private async saveBinding(id: string, binding: Binding): Promise<void> {
    await writeFileAtomic(this.bindingFile(id), JSON.stringify(binding, null, 2) + '\n');
  }

  private async boundIds(): Promise<string[]> {
    try {
      const names = await fsp.readdir(this.overlaysDir);
      const bound = await Promise.all(
        names.map((n) =>
          fsp.access(this.bindingFile(n)).then(
            () => n,
            () => undefined,
          ),
        ),
      );
      return bound.filter((n): n is string => n !== undefined);
    } catch {
      return [];
    }
  }

  async statusAll(): Promise<GoldenStatus[]> {
    const out: GoldenStatus[] = [];
    for (const id of await this.boundIds()) {
      const s = await this.status(id).catch(() => undefined);
      if (s) out.push(s);
    }
    return out;
  }

  async status(id: string): Promise<GoldenStatus> {
    const vm = await this.options.vms.get(id);
    const binding = await this.binding(id);
    const disk = vm.spec.disks[binding.diskIndex];
    const found = disk?.backing ? await this.registry.versionAt(disk.backing.path) : undefined;
    const running = isLive(vm.state);
    const next = nextResetMs(binding.schedule, this.scheduleFacts(id, binding, running));
    const input = this.lastInput.get(id);
    return {
      id,
      image: binding.image,
      version: found?.version.version ?? null,
      overlay: disk?.path ?? '',
      schedule: binding.schedule,
      lastReset: binding.lastReset,
      nextResetAt: next === null ? null : new Date(next).toISOString(),
      lastInputAt: input === undefined ? null : new Date(input).toISOString(),
      warm: {
        blocker: warmResetBlocker(vm.spec, binding.diskIndex) ?? binding.snapshotRefused,
        readyText: binding.readyText,
        snapshotAt: binding.snapshot && binding.snapshot.overlay === disk?.path ? binding.snapshot.at : null,
      },
      busy: this.busy.get(id) ?? null,
    };
  }

  private async announce(id: string): Promise<void> {
    if (this.closed) return;
    const status = await this.status(id).catch(() => null);
    this.options.bus.emit('booth.changed', { id, status });
  }

  /**
   * Put a stopped VM on a golden image: its first disk (or a new one when it has none) becomes
   * an overlay of the image's current version. The disk it had stays where it is, untouched.
   */
  async setGolden(id: string, imageName: string, readyText: string | null): Promise<GoldenStatus> {
    return this.exclusive(id, 'reset', async () => {
      const vm = await this.options.vms.get(id);
      this.requireStopped(vm, 'put it on a golden image');
      const image = await this.registry.get(imageName);
      const version = await this.checkedVersion(imageName, image.current);
      const overlay = await this.newOverlay(this.overlayPath(id), version);
      const disks: DiskSpec[] = [...vm.spec.disks];
      const disk: DiskSpec = {
        path: overlay,
        format: 'qcow2',
        readOnly: false,
        bus: disks[0]?.bus ?? 'virtio',
        backing: { path: version.path, format: version.format },
      };
      if (disks.length === 0) disks.push(disk);
      else disks[0] = disk;
      const previous = await this.binding(id).catch(() => undefined);
      await this.options.vms.update(id, withDisks(vm.spec, disks));
      await this.saveBinding(id, {
        image: imageName,
        diskIndex: 0,
        schedule: previous?.schedule ?? { kind: 'off' },
        readyText,
        boundAt: new Date().toISOString(),
        lastReset: null,
        snapshot: null,
        overlayUsed: false,
        snapshotRefused: null,
      });
      await this.removeStrayOverlays(id, overlay);
      void this.announce(id);
      this.options.bus.emit('image.changed', { name: imageName });
      return this.status(id);
    });
  }

  /**
   * Back to a plain disk: the overlay's state (with what it reads from the golden image) is
   * flattened into a new file in the VM's data folder, which the VM then uses.
   */
  async setGoldenOff(id: string): Promise<{ disk: string }> {
    return this.exclusive(id, 'reset', async () => {
      const vm = await this.options.vms.get(id);
      this.requireStopped(vm, 'take it off its golden image');
      const binding = await this.binding(id);
      const disk = vm.spec.disks[binding.diskIndex];
      if (!disk) throw new TesseraError('INVALID_STATE', `VM '${id}' has no disk ${binding.diskIndex + 1}`);
      const folder = vmDataFiles(this.options.paths.dataDir, id).dir;
      await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
      const target = path.join(folder, `disk-${stamp()}.qcow2`);
      const partial = `${target}.partial`;
      await this.requireSpace(disk.path, folder);
      try {
        await convertToQcow2(this.options.qemuImg(), disk.path, partial, () => undefined);
        await syncFile(partial);
        await fsp.rename(partial, target);
      } catch (error) {
        await fsp.rm(partial, { force: true });
        throw error;
      }
      const disks = vm.spec.disks.map((d, i) =>
        i === binding.diskIndex ? { path: target, format: 'qcow2' as const, readOnly: false, bus: d.bus } : d,
      );
      await this.options.vms.update(id, withDisks(vm.spec, disks));
      await fsp.rm(path.join(this.overlaysDir, id), { recursive: true, force: true });
      this.options.bus.emit('booth.changed', { id, status: null });
      this.options.bus.emit('image.changed', { name: binding.image });
      return { disk: target };
    });
  }

  async setSchedule(id: string, schedule: ResetSchedule): Promise<GoldenStatus> {
    const binding = await this.binding(id);
    await this.saveBinding(id, { ...binding, schedule });
    void this.announce(id);
    return this.status(id);
  }

  /** Keyboard or mouse input reached the guest from a console bridge. */
  noteInput(id: string): void {
    const first = !this.lastInput.has(id);
    this.lastInput.set(id, Date.now());
    if (first) void this.announce(id);
  }

  // ---- resets ----

  /**
   * Back to golden. Warm (snapshot-load of the ready snapshot, a second or so) when asked or
   * when no mode is given and it can be had; otherwise cold: stop (ACPI, forced after the
   * timeout), a new overlay, and start again if it was running. Why it was not warm is said.
   */
  async reset(id: string, mode: ResetMode | undefined, why = 'asked for'): Promise<ResetOutcome> {
    return this.exclusive(id, 'reset', async () => {
      const started = Date.now();
      const vm = await this.options.vms.get(id);
      const binding = await this.binding(id);
      const running = isLive(vm.state);
      if (mode !== 'cold') {
        const refusal = this.warmRefusal(vm, binding);
        if (refusal === null) {
          await this.loadReadySnapshot(id, binding);
          await this.saveBinding(id, {
            ...binding,
            lastReset: { at: new Date().toISOString(), mode: 'warm', reason: why },
          });
          void this.announce(id);
          return { id, mode: 'warm', reason: why, restarted: false, elapsedMs: Date.now() - started };
        }
        why =
          mode === 'warm'
            ? `${why}; warm reset refused: ${refusal}; reset cold instead`
            : `${why}; cold because ${refusal}`;
      }
      await this.coldReset(vm, binding, why);
      if (running) await this.options.vms.start(id);
      void this.announce(id);
      return { id, mode: 'cold', reason: why, restarted: running, elapsedMs: Date.now() - started };
    });
  }

  /** Every VM on a golden image at once; one failing does not stop the others. */
  async resetAll(
    mode: ResetMode | undefined,
  ): Promise<{ results: (ResetOutcome | { id: string; error: string })[] }> {
    const ids = await this.boundIds();
    const results = await Promise.all(
      ids.map((id) =>
        this.reset(id, mode, 'booth reset-all').catch((error: unknown) => ({
          id,
          error: error instanceof Error ? error.message : String(error),
        })),
      ),
    );
    return { results };
  }

  private warmRefusal(vm: VmInfo, binding: Binding): string | null {
    const blocker = warmResetBlocker(vm.spec, binding.diskIndex) ?? binding.snapshotRefused;
    if (blocker) return blocker;
    if (!isLive(vm.state)) return 'the VM is not running, and a warm reset loads a running state';
    const overlay = vm.spec.disks[binding.diskIndex]?.path;
    if (!binding.snapshot || binding.snapshot.overlay !== overlay) {
      return binding.readyText
        ? `no ready snapshot yet: it is taken when '${binding.readyText}' shows on the serial console after a cold start`
        : 'no ready snapshot yet: mark the VM ready once it has booted (tessera vm mark-ready)';
    }
    return null;
  }

  private async coldReset(vm: VmInfo, binding: Binding, why: string): Promise<void> {
    const id = vm.id;
    if (isUp(vm.state)) {
      await this.options.vms.stop(id, STOP_TIMEOUT_S);
      this.fault('reset-stopped');
    }
    const image = await this.registry.get(binding.image);
    const version = await this.checkedVersion(binding.image, image.current);
    const spec = (await this.options.vms.get(id)).spec;
    const old = spec.disks[binding.diskIndex];
    if (!old) throw new TesseraError('INVALID_STATE', `VM '${id}' has no disk ${binding.diskIndex + 1}`);
    const overlay = await this.newOverlay(this.overlayPath(id), version);
    this.fault('reset-overlay-created');
    const disks = spec.disks.map((d, i) =>
      i === binding.diskIndex
        ? {
            ...d,
            path: overlay,
            format: 'qcow2' as const,
            backing: { path: version.path, format: version.format },
          }
        : d,
    );
    await this.options.vms.update(id, withDisks(spec, disks));
    this.fault('reset-spec-switched');
    await this.saveBinding(id, {
      ...binding,
      lastReset: { at: new Date().toISOString(), mode: 'cold', reason: why },
      snapshot: null,
      overlayUsed: false,
    });
    await this.removeStrayOverlays(id, overlay);
  }

  /** Where a VM's next overlay goes (its folder holds its overlays only). */
  private overlayPath(id: string): string {
    return path.join(this.overlaysDir, id, `${stamp()}.qcow2`);
  }

  /** The golden image a VM is bound to and the disk it is bound on; null when it is not on one. */
  async bootDisk(id: string): Promise<{ image: string; diskIndex: number } | null> {
    const binding = await this.binding(id).catch(() => null);
    return binding && { image: binding.image, diskIndex: binding.diskIndex };
  }

  /**
   * A fresh overlay of an image's current version at `file`, for one run that must leave the VM's
   * own overlay and definition alone (a run matrix, src/main/runs/run-matrix.ts); the caller
   * removes it when the run is done.
   */
  async scratchOverlay(
    imageName: string,
    file: string,
  ): Promise<{ path: string; backing: { path: string; format: 'qcow2' | 'raw' }; version: number }> {
    const image = await this.registry.get(imageName);
    const version = await this.checkedVersion(imageName, image.current);
    const overlay = await this.newOverlay(file, version);
    return {
      path: overlay,
      backing: { path: version.path, format: version.format },
      version: version.version,
    };
  }

  /** A complete overlay file on `version`: made under a temporary name, then renamed into place. */
  private async newOverlay(
    overlay: string,
    version: { path: string; format: 'qcow2' | 'raw' },
  ): Promise<string> {
    const folder = path.dirname(overlay);
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    const partial = `${overlay}.partial`;
    try {
      await createOverlay(this.options.qemuImg(), partial, version);
      await syncFile(partial);
      await fsp.rename(partial, overlay);
      await syncFile(folder);
    } catch (error) {
      await fsp.rm(partial, { force: true });
      throw error;
    }
    return overlay;
  }

  private async removeStrayOverlays(id: string, keep: string | undefined): Promise<void> {
    const folder = path.join(this.overlaysDir, id);
    let names: string[];
    try {
      names = await fsp.readdir(folder);
    } catch {
      return;
    }
    for (const n of names) {
      const file = path.join(folder, n);
      if (file !== keep && (n.endsWith('.qcow2') || n.endsWith('.partial')))
        await fsp.rm(file, { force: true });
    }
  }

  /** The version's file as registered, or a refusal that says what changed and what to do. */
  private async checkedVersion(name: string, version: number) {
    const checked = await this.registry.check(name, version);
    if (!checked.ok) {
      throw new TesseraError(
        'CONFLICT',
        `${checked.reason}: restore the file, or register it again (tessera image verify ${name} to re-check)`,
      );
    }
    return checked.version;
  }

  /**
   * Run before every start of a VM: each golden image under an overlay must be the file
   * registered; a "fresh every boot" VM whose overlay was used before gets a new one.
   */
  private async beforeStart(spec: VmSpec): Promise<VmSpec> {
    let current = spec;
    for (const disk of spec.disks) {
      if (!disk.backing) continue;
      const found = await this.registry.versionAt(disk.backing.path);
      if (!found) {
        throw new TesseraError(
          'CONFLICT',
          `disk ${disk.path} is an overlay of ${disk.backing.path}, which is no registered golden image: put the VM on an image again (tessera vm golden ${spec.name} --image IMAGE)`,
        );
      }
      await this.checkedVersion(found.image.name, found.version.version);
    }
    const binding = await this.binding(spec.name).catch(() => undefined);
    if (!binding) return current;
    if (binding.overlayUsed && binding.schedule.kind === 'on-stop') {
      // A leftover of a run whose stop Tessera never saw (libvirt #684's case): not reused.
      const image = await this.registry.get(binding.image);
      const version = await this.checkedVersion(binding.image, image.current);
      const overlay = await this.newOverlay(this.overlayPath(spec.name), version);
      current = {
        ...spec,
        disks: spec.disks.map((d, i) =>
          i === binding.diskIndex
            ? { ...d, path: overlay, backing: { path: version.path, format: version.format } }
            : d,
        ),
      };
      binding.lastReset = {
        at: new Date().toISOString(),
        mode: 'cold',
        reason: 'the overlay was left over from a run that ended unseen',
      };
      binding.snapshot = null;
    }
    const fresh = current !== spec || !binding.overlayUsed;
    await this.saveBinding(spec.name, { ...binding, overlayUsed: true });
    if (current !== spec) {
      // The new overlay is named by the definition VmService saves next; the old one goes after.
      const keep = current.disks[binding.diskIndex]?.path;
      setTimeout(() => void this.removeStrayOverlays(spec.name, keep), 0).unref();
    }
    if (fresh && binding.readyText && warmResetBlocker(current, binding.diskIndex) === null) {
      this.pendingReady.set(spec.name, binding.readyText);
    } else {
      this.pendingReady.delete(spec.name);
    }
    return current;
  }

  private async snapshotWhenReady(id: string, readyText: string): Promise<void> {
    try {
      await this.options.vms.waitSerial(id, readyText, 600);
      if (this.closed) return;
      await this.markReady(id);
    } catch {
      // The VM stopped before it was ready: no snapshot, so the next reset is cold and says so.
    }
  }

  /** Take the ready snapshot now, in the VM's overlay (the "mark ready" button). */
  async markReady(id: string): Promise<GoldenStatus> {
    const vm = await this.options.vms.get(id);
    const binding = await this.binding(id);
    const blocker = warmResetBlocker(vm.spec, binding.diskIndex);
    if (blocker) throw new TesseraError('INVALID_STATE', `VM '${id}' cannot have warm resets: ${blocker}`);
    if (!isLive(vm.state)) {
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${id}' is not running: start it and mark it ready once it has booted`,
      );
    }
    const node = `drive-disk${binding.diskIndex}`;
    const overlay = vm.spec.disks[binding.diskIndex]?.path ?? '';
    if (binding.snapshot?.overlay === overlay) {
      await this.runJob(id, 'snapshot-delete', { tag: READY_TAG, devices: [node] }).catch(() => undefined);
    }
    try {
      await this.runJob(id, 'snapshot-save', { tag: READY_TAG, vmstate: node, devices: [node] });
    } catch (error) {
      const latest = await this.binding(id);
      const message = error instanceof Error ? error.message : String(error);
      await this.saveBinding(id, { ...latest, snapshotRefused: message });
      void this.announce(id);
      throw error;
    }
    const latest = await this.binding(id);
    await this.saveBinding(id, {
      ...latest,
      snapshot: { overlay, at: new Date().toISOString() },
      snapshotRefused: null,
    });
    void this.announce(id);
    return this.status(id);
  }

  private async loadReadySnapshot(id: string, binding: Binding): Promise<void> {
    const node = `drive-disk${binding.diskIndex}`;
    await this.runJob(id, 'snapshot-load', { tag: READY_TAG, vmstate: node, devices: [node] });
  }

  /**
   * A snapshot job (qapi/migration.json snapshot-save/-load/-delete, run as jobs since QEMU 6.0):
   * started, polled with query-jobs until it concludes, its error raised, then dismissed.
   */
  private async runJob(id: string, command: string, args: { [key: string]: unknown }): Promise<void> {
    const jobId = `tessera-${command}-${Date.now()}`;
    const vms = this.options.vms;
    await vms.command(id, command, { 'job-id': jobId, ...args });
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    for (;;) {
      const jobs = await vms.command<{ id: string; status: string; error?: string }[]>(id, 'query-jobs');
      const job = jobs.find((j) => j.id === jobId);
      if (!job || job.status === 'concluded' || job.status === 'null') {
        if (job) await vms.command(id, 'job-dismiss', { id: jobId }).catch(() => undefined);
        if (job?.error)
          throw new TesseraError('QEMU_FAILED', `QEMU could not ${command.replace('-', ' ')}: ${job.error}`);
        return;
      }
      if (Date.now() > deadline)
        throw new TesseraError(
          'TIMEOUT',
          `QEMU's ${command} did not finish within ${JOB_TIMEOUT_MS / 60_000} minutes`,
        );
      await new Promise((r) => setTimeout(r, JOB_POLL_MS));
    }
  }

  // ---- promote ----

  /**
   * The VM's current disk state becomes the image's next version: flattened with qemu-img
   * convert into a hidden partial file, hashed, made read-only, renamed, and only then
   * registered as current. The version before stays until deleted; VMs move at their next reset.
   */
  async promote(id: string): Promise<{ image: ImageInfo; version: number }> {
    return this.exclusive(id, 'promote', async () => {
      const vm = await this.options.vms.get(id);
      this.requireStopped(vm, 'promote its state (its disk must be quiet to be copied)');
      const binding = await this.binding(id);
      const disk = vm.spec.disks[binding.diskIndex];
      if (!disk?.backing)
        throw new TesseraError('INVALID_STATE', `VM '${id}' has no overlay on disk ${binding.diskIndex + 1}`);
      const found = await this.registry.versionAt(disk.backing.path);
      if (found) await this.checkedVersion(found.image.name, found.version.version);
      const image = await this.registry.get(binding.image);
      const next = Math.max(...image.versions.map((v) => v.version)) + 1;
      const folder = this.registry.folderOf(binding.image);
      await this.requireSpace(disk.path, folder);
      const target = path.join(folder, `v${next}.qcow2`);
      const partial = path.join(folder, `.v${next}.qcow2.partial`);
      const progress = (p: number) => this.progress(binding.image, 'promote', p);
      let halfway = false;
      try {
        await convertToQcow2(this.options.qemuImg(), disk.path, partial, (p) => {
          progress(p * 0.8);
          if (!halfway && p >= 50 && p < 100) {
            halfway = true;
            this.fault('promote-halfway');
          }
        });
        await syncFile(partial);
        const sha256 = await sha256File(partial, (p) => progress(80 + p * 0.2));
        const info = await imageInfo(this.options.qemuImg(), partial);
        const size = (await fsp.stat(partial)).size;
        await fsp.chmod(partial, GOLDEN_MODE);
        this.fault('promote-copied');
        await fsp.rename(partial, target);
        await syncFile(folder);
        const now = new Date().toISOString();
        await this.registry.addVersion(
          binding.image,
          {
            version: next,
            path: target,
            format: 'qcow2',
            sizeBytes: size,
            virtualSizeBytes: info['virtual-size'],
            sha256,
            createdAt: now,
            verifiedAt: now,
            source: `promoted from VM ${id}`,
          },
          true,
        );
      } catch (error) {
        await fsp.rm(partial, { force: true });
        throw error;
      }
      progress(100);
      this.options.bus.emit('image.changed', { name: binding.image });
      void this.announce(id);
      return { image: await this.image(binding.image), version: next };
    });
  }

  private async requireSpace(source: string, folder: string): Promise<void> {
    const needed = await measureFlattened(this.options.qemuImg(), source);
    const free = await this.freeBytes(folder);
    if (needed + SPACE_MARGIN_BYTES > free) {
      throw new TesseraError(
        'IO',
        `not enough space in ${folder}: the copy needs up to ${mib(needed)} and ${mib(free)} are free; nothing was changed`,
      );
    }
  }

  // ---- schedules ----

  private scheduleFacts(id: string, binding: Binding, running: boolean) {
    return {
      lastResetMs: Date.parse(binding.lastReset?.at ?? binding.boundAt),
      lastInputMs: this.lastInput.get(id) ?? null,
      running,
      nowMs: Date.now(),
    };
  }

  private async runSchedules(): Promise<void> {
    if (this.closed) return;
    for (const id of await this.boundIds()) {
      if (this.busy.has(id)) continue;
      const binding = await this.binding(id).catch(() => undefined);
      const vm = await this.options.vms.get(id).catch(() => undefined);
      if (!binding || !vm) continue;
      const running = isLive(vm.state);
      if (!isDue(binding.schedule, this.scheduleFacts(id, binding, running))) continue;
      const what = binding.schedule.kind === 'idle' ? 'no console input' : 'on schedule';
      void this.reset(id, undefined, `${what} (${binding.schedule.kind})`).catch(() => undefined);
    }
  }

  private async onVmChanged(vm: VmInfo): Promise<void> {
    const active = vm.state === 'running' || vm.state === 'paused' || vm.state === 'starting';
    if (active) {
      this.wasRunning.add(vm.id);
      const readyText = this.pendingReady.get(vm.id);
      if (vm.state === 'running' && readyText !== undefined) {
        this.pendingReady.delete(vm.id);
        void this.snapshotWhenReady(vm.id, readyText);
      }
      return;
    }
    if (isUp(vm.state)) return;
    if (!this.wasRunning.delete(vm.id) || this.busy.has(vm.id) || this.closed) return;
    const binding = await this.binding(vm.id).catch(() => undefined);
    if (binding?.schedule.kind !== 'on-stop') return;
    void this.reset(vm.id, 'cold', 'fresh every boot (on-stop)').catch(() => undefined);
  }

  // ---- helpers ----

  private progress(name: string, operation: 'add' | 'verify' | 'promote', percent: number): void {
    this.options.bus.emit('image.progress', {
      name,
      operation,
      percent: Math.max(0, Math.min(100, percent)),
    });
  }

  private requireStopped(vm: VmInfo, what: string): void {
    if (isUp(vm.state)) {
      throw new TesseraError('INVALID_STATE', `VM '${vm.id}' is ${vm.state}: stop it first to ${what}`);
    }
  }

  private async exclusive<T>(id: string, kind: 'reset' | 'promote', fn: () => Promise<T>): Promise<T> {
    const running = this.busy.get(id);
    if (running) throw new TesseraError('CONFLICT', `a ${running} of VM '${id}' is already under way`);
    this.busy.set(id, kind);
    void this.announce(id);
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
      void this.announce(id);
    }
  }

  private fault(step: ImagesStep): void {
    if ((this.options.env ?? process.env)[FAULT_ENV] === step) process.kill(process.pid, 'SIGKILL');
  }
}

/** fsync a file or folder, so a rename after it never names data still only in the page cache. */
async function syncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
