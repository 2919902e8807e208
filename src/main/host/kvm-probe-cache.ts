import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readCacheFile, writeCacheFile } from '../fsutil/cache-file';
import { probeKvm, type KvmProbeResult } from './kvm-probe';

const ProbeResult = z.object({
  ok: z.boolean(),
  reason: z.string(),
  kvmMs: z.number(),
  tcgMs: z.number().nullable(),
});

const CacheFile = z.object({
  entries: z.record(
    z.string(),
    z.object({ bootId: z.string(), mtimeMs: z.number(), size: z.number(), result: ProbeResult }),
  ),
});

/** The kernel's id for this boot (proc(5)): a reboot, a new kernel or module option gives a new one. */
export function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The KVM probe's answer per QEMU binary (path, modification time, size) and per boot, in
 * `$XDG_CACHE_HOME/tessera/kvm-probe.json`: what KVM can do changes only with a reboot (kernel,
 * module options, the hypervisor's settings for this VM) or another QEMU, so later backends and
 * CLI commands in the same boot pay nothing. Without a boot id nothing is remembered.
 */
export class KvmProbeCache {
  private readonly memory = new Map<string, Promise<KvmProbeResult & { cached: boolean }>>();

  constructor(
    private readonly file: string,
    private readonly probe: (binary: string) => Promise<KvmProbeResult> = (b) => probeKvm(b),
    private readonly bootId: () => string | null = readBootId,
  ) {}

  static inCacheDir(cacheDir: string): KvmProbeCache {
    return new KvmProbeCache(path.join(cacheDir, 'kvm-probe.json'));
  }

  get(binary: string): Promise<KvmProbeResult & { cached: boolean }> {
    let found = this.memory.get(binary);
    if (!found) {
      found = this.load(binary);
      this.memory.set(binary, found);
    }
    return found;
  }

  private async load(binary: string): Promise<KvmProbeResult & { cached: boolean }> {
    const bootId = this.bootId();
    const stat = await fsp.stat(binary).catch(() => null);
    const cache = await this.read();
    const entry = cache.entries[binary];
    if (
      bootId !== null &&
      stat !== null &&
      entry?.bootId === bootId &&
      entry.mtimeMs === stat.mtimeMs &&
      entry.size === stat.size
    ) {
      return { ...entry.result, cached: true };
    }
    const result = await this.probe(binary);
    if (bootId !== null && stat !== null) {
      cache.entries[binary] = {
        bootId,
        mtimeMs: stat.mtimeMs,
        size: stat.size,
        result: ProbeResult.parse(result),
      };
      await writeCacheFile(this.file, cache);
    }
    return { ...result, cached: false };
  }

  private read(): Promise<z.infer<typeof CacheFile>> {
    return readCacheFile(this.file, CacheFile, () => ({ entries: {} }));
  }
}
