import type { z } from 'zod';
import { writeFileAtomic } from './atomic-write';
import { readStateFile } from './state-file';

/** A cache file's content, or `empty` when it is missing, unreadable or not of `schema`'s shape. */
export async function readCacheFile<T>(file: string, schema: z.ZodType<T>, empty: () => T): Promise<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readStateFile(file)));
    if (parsed.success) return parsed.data;
  } catch {
    // Missing or unreadable: start afresh.
  }
  return empty();
}

/** Write a cache file atomically; a failure only means the next process works it out again. */
export async function writeCacheFile(file: string, value: unknown): Promise<void> {
  try {
    await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
  } catch {
    // Only a cache.
  }
}
