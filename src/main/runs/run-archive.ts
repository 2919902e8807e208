import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

const BLOCK = 512;

/** One ustar header (POSIX.1-1988 tar, the format GNU and busybox tar read). */
function header(name: string, size: number, mode: number, mtime: number, type: '0' | '5'): Buffer {
  const block = Buffer.alloc(BLOCK);
  const put = (text: string, offset: number, length: number) => block.write(text, offset, length, 'utf8');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  if (Buffer.byteLength(name) > 100) throw new Error(`a path in a run record is too long for tar: ${name}`);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(mtime / 1000), 12), 136, 12);
  put('        ', 148, 8); // the checksum is summed with its own field as spaces
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(octal(sum, 7) + ' ', 148, 8);
  return block;
}

/** The archive's blocks, a file at a time (a record can be many MiB: it is never read whole). */
async function* tarBlocks(records: { name: string; dir: string }[]): AsyncGenerator<Buffer> {
  async function* add(dir: string, prefix: string): AsyncGenerator<Buffer> {
    const stat = await fsp.stat(dir);
    yield header(`${prefix}/`, 0, 0o755, stat.mtimeMs, '5');
    const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* add(full, `${prefix}/${entry.name}`);
      else if (entry.isFile()) {
        const info = await fsp.stat(full);
        yield header(`${prefix}/${entry.name}`, info.size, 0o444, info.mtimeMs, '0');
        let sent = 0;
        for await (const chunk of fs.createReadStream(full, { end: Math.max(0, info.size - 1) })) {
          const data = chunk as Buffer;
          const part = data.subarray(0, Math.max(0, info.size - sent));
          sent += part.length;
          if (part.length > 0) yield part;
        }
        if (sent < info.size) throw new Error(`${full} shrank while it was archived`);
        yield Buffer.alloc((BLOCK - (info.size % BLOCK)) % BLOCK);
      }
    }
  }
  for (const record of records) yield* add(record.dir, record.name);
  yield Buffer.alloc(BLOCK * 2);
}

/**
 * Records as one `.tar.gz` to attach to a bug report, each record's folder under its run id.
 * Streamed to a temporary file beside the target and renamed into place once complete.
 */
export async function writeRunArchive(
  file: string,
  records: { name: string; dir: string }[],
): Promise<number> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await pipeline(
      Readable.from(tarBlocks(records)),
      zlib.createGzip(),
      fs.createWriteStream(temp, { mode: 0o644 }),
    );
    await fsp.rename(temp, file);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  return (await fsp.stat(file)).size;
}
