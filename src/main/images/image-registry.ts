import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import { ImageRecord, ImageVersion } from '../../shared/images';
import { writeFileAtomic } from '../fsutil/atomic-write';
import { sha256File } from './qemu-img';

/**
 * What the registry keeps beside what fronts see: the file's size, times and inode when it was
 * last hashed. While they match, the file is the one hashed; when any differs it is hashed again
 * before use (a chmod or touch changes ctime too, so nothing slips by unhashed).
 */
const StoredVersion = ImageVersion.extend({ fileStamp: z.string() });
const StoredImage = ImageRecord.extend({ versions: z.array(StoredVersion).min(1) });
const RegistryFile = z.object({ images: z.array(StoredImage) });
type StoredVersion = z.infer<typeof StoredVersion>;
type StoredImage = z.infer<typeof StoredImage>;

/** Golden files are never written: read-only for everyone, even their owner. */
export const GOLDEN_MODE = 0o444;

export async function fileStamp(file: string): Promise<string> {
  const s = await fsp.stat(file, { bigint: true });
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
}

function publicVersion(v: StoredVersion): ImageVersion {
  return ImageVersion.parse(v);
}

export function publicImage(image: StoredImage): ImageRecord {
  return { name: image.name, current: image.current, versions: image.versions.map(publicVersion) };
}

/**
 * The golden images and their versions: `images/registry.json` in the data dir, one folder per
 * image with `v<N>.<format>` files (DESIGN.md "Where state lives"). Written atomically; the
 * registry only ever names complete, hashed, read-only files.
 */
export class ImageRegistry {
  readonly dir: string;
  private readonly file: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'images');
    this.file = path.join(this.dir, 'registry.json');
  }

  folderOf(name: string): string {
    return path.join(this.dir, name);
  }

  async load(): Promise<StoredImage[]> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new TesseraError('IO', `cannot read ${this.file}: ${(error as Error).message}`);
    }
    const parsed = RegistryFile.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new TesseraError(
        'IO',
        `${this.file} is not a valid image registry (${parsed.error.issues[0]?.message ?? 'bad shape'}): fix or move it aside`,
      );
    }
    return parsed.data.images;
  }

  async save(images: StoredImage[]): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ images }, null, 2) + '\n', 0o644);
  }

  async get(name: string): Promise<StoredImage> {
    const image = (await this.load()).find((i) => i.name === name);
    if (!image) {
      throw new TesseraError('NOT_FOUND', `no golden image named '${name}': see tessera image list`);
    }
    return image;
  }

  /** The version a path is, if it is one. */
  async versionAt(file: string): Promise<{ image: StoredImage; version: StoredVersion } | undefined> {
    for (const image of await this.load()) {
      const version = image.versions.find((v) => v.path === file);
      if (version) return { image, version };
    }
    return undefined;
  }

  /** Add a complete, hashed, read-only file as a version (a new image when it has none yet). */
  async addVersion(name: string, version: ImageVersion, makeCurrent: boolean): Promise<StoredImage> {
    const images = await this.load();
    const stored: StoredVersion = { ...version, fileStamp: await fileStamp(version.path) };
    let image = images.find((i) => i.name === name);
    if (!image) {
      image = { name, current: version.version, versions: [stored] };
      images.push(image);
    } else {
      image.versions.push(stored);
      if (makeCurrent) image.current = version.version;
    }
    await this.save(images);
    return image;
  }

  /**
   * The file of a version as it was registered, or why not: missing, resized, or hashed again
   * (its stamp changed) to a different SHA-256. A file whose mode lost read-only is put back.
   */
  async check(
    name: string,
    versionNumber: number,
    onProgress?: (percent: number) => void,
  ): Promise<{ ok: true; version: ImageVersion } | { ok: false; reason: string; sha256?: string }> {
    const images = await this.load();
    const image = images.find((i) => i.name === name);
    const version = image?.versions.find((v) => v.version === versionNumber);
    if (!image || !version)
      return { ok: false, reason: `golden image '${name}' v${versionNumber} is not registered` };
    let stat;
    try {
      stat = await fsp.stat(version.path);
    } catch {
      return { ok: false, reason: `the golden image file ${version.path} is missing` };
    }
    if (stat.size !== version.sizeBytes) {
      return {
        ok: false,
        reason: `the golden image file ${version.path} changed: ${stat.size} bytes, ${version.sizeBytes} registered`,
      };
    }
    if ((stat.mode & 0o222) !== 0) await fsp.chmod(version.path, GOLDEN_MODE);
    if ((await fileStamp(version.path)) === version.fileStamp)
      return { ok: true, version: publicVersion(version) };
    const sha256 = await sha256File(version.path, onProgress);
    if (sha256 !== version.sha256) {
      return {
        ok: false,
        sha256,
        reason: `the golden image file ${version.path} changed: its SHA-256 is ${sha256}, ${version.sha256} registered`,
      };
    }
    version.fileStamp = await fileStamp(version.path);
    version.verifiedAt = new Date().toISOString();
    await this.save(images);
    return { ok: true, version: publicVersion(version) };
  }

  /** Hash a version now, whatever its stamp says (`image verify`). */
  async verify(
    name: string,
    versionNumber: number,
    onProgress: (percent: number) => void,
  ): Promise<{ ok: boolean; sha256: string; reason?: string }> {
    const images = await this.load();
    const version = images.find((i) => i.name === name)?.versions.find((v) => v.version === versionNumber);
    if (!version)
      throw new TesseraError('NOT_FOUND', `golden image '${name}' has no version ${versionNumber}`);
    const sha256 = await sha256File(version.path, onProgress);
    if (sha256 !== version.sha256) {
      return { ok: false, sha256, reason: `SHA-256 is ${sha256}, ${version.sha256} registered` };
    }
    version.verifiedAt = new Date().toISOString();
    version.fileStamp = await fileStamp(version.path);
    await this.save(images);
    return { ok: true, sha256 };
  }

  /** Forget versions (all of an image when `version` is undefined); their files go too. */
  async remove(name: string, versionNumber: number | undefined): Promise<void> {
    const images = await this.load();
    const image = images.find((i) => i.name === name);
    if (!image) throw new TesseraError('NOT_FOUND', `no golden image named '${name}'`);
    const going = image.versions.filter((v) => versionNumber === undefined || v.version === versionNumber);
    if (going.length === 0)
      throw new TesseraError('NOT_FOUND', `golden image '${name}' has no version ${versionNumber}`);
    image.versions = image.versions.filter((v) => !going.includes(v));
    const rest = image.versions.length === 0 ? images.filter((i) => i !== image) : images;
    if (image.versions.length > 0 && !image.versions.some((v) => v.version === image.current)) {
      image.current = Math.max(...image.versions.map((v) => v.version));
    }
    // Registry first: a crash in between leaves a stray file, never a registered missing one.
    await this.save(rest);
    for (const v of going) await fsp.rm(v.path, { force: true });
    if (image.versions.length === 0) await fsp.rm(this.folderOf(name), { recursive: true, force: true });
  }

  /** Partial copies a killed add or promote left behind are never used: remove them. */
  async removePartials(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const folder = path.join(this.dir, name);
      let files: string[];
      try {
        files = await fsp.readdir(folder);
      } catch {
        continue;
      }
      for (const f of files.filter((x) => x.endsWith('.partial')))
        await fsp.rm(path.join(folder, f), { force: true });
    }
  }
}
