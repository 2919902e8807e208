import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import {
  PROBED_DEVICES,
  PROBED_TYPES,
  QemuCapabilities,
  type QemuCapabilities as Capabilities,
} from '../../shared/qemu-capabilities';
import { readCacheFile, writeCacheFile } from '../fsutil/cache-file';

const PROBE_TIMEOUT_MS = 20_000;

/**
 * Display backends from `qemu -display help`: the lines after the heading. QEMU lists a backend
 * only when its module loads (gtk and sdl ship in qemu-system-gui on Debian); the complaints
 * about missing modules go to stderr, which is not read here.
 */
export function parseDisplayHelp(stdout: string): string[] {
  const lines = stdout.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith('Available display backend types'));
  if (start === -1) return [];
  return lines.slice(start + 1).filter((l) => /^[a-z][a-z0-9-]*$/.test(l));
}

interface SchemaEntry {
  name: string;
  'meta-type': string;
  'ret-type'?: string;
  members?: { name: string }[];
  variants?: { case: string; type: string }[];
}

/**
 * Options of each display type from `query-qmp-schema`: the members of the DisplayOptions union
 * that `query-display-options` returns (common ones plus its `type`'s branch). Schema names are
 * masked numbers, so the union is found through the command, not by its name.
 */
export function displayOptionsFromSchema(schema: readonly SchemaEntry[]): Record<string, string[]> {
  const byName = new Map(schema.map((e) => [e.name, e]));
  const command = byName.get('query-display-options');
  const union = command?.['ret-type'] === undefined ? undefined : byName.get(command['ret-type']);
  if (!union) return {};
  const common = (union.members ?? []).map((m) => m.name).filter((n) => n !== 'type');
  const options: Record<string, string[]> = {};
  for (const variant of union.variants ?? []) {
    const branch = byName.get(variant.type)?.members?.map((m) => m.name) ?? [];
    options[variant.case] = [...common, ...branch].sort();
  }
  return options;
}

const QmpReply = z.object({ id: z.string(), return: z.unknown().optional(), error: z.unknown().optional() });

/** Run QEMU with no machine, ask everything over QMP on stdio in one go, and collect the replies by id. */
async function askQmp(
  binary: string,
  commands: Record<string, { execute: string; arguments?: Record<string, unknown> }>,
): Promise<Map<string, { ok: true; value: unknown } | { ok: false }>> {
  const child = spawn(
    binary,
    ['-machine', 'none', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const ended = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
  child.stdin.on('error', () => undefined);
  const lines = [
    { execute: 'qmp_capabilities' },
    ...Object.entries(commands).map(([id, c]) => ({ ...c, id })),
    { execute: 'quit' },
  ];
  child.stdin.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  let code: number | null;
  try {
    code = await ended;
  } catch (error) {
    throw new TesseraError('QEMU_MISSING', `cannot run ${binary}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const replies = new Map<string, { ok: true; value: unknown } | { ok: false }>();
  for (const line of stdout.split('\n')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const reply = QmpReply.safeParse(parsed);
    if (reply.success) {
      replies.set(
        reply.data.id,
        'error' in reply.data ? { ok: false } : { ok: true, value: reply.data.return },
      );
    }
  }
  if (code !== 0 || !replies.has('version')) {
    const detail = stderr.trim().split('\n').at(-1) ?? `exit code ${code}`;
    throw new TesseraError('QEMU_FAILED', `${binary} did not answer the capability probe: ${detail}`);
  }
  return replies;
}

function displayHelp(binary: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['-display', 'help'], { timeout: PROBE_TIMEOUT_MS }, (error, stdout) => {
      if (error) reject(new TesseraError('QEMU_FAILED', `${binary} -display help failed: ${error.message}`));
      else resolve(parseDisplayHelp(stdout));
    });
  });
}

const Version = z.object({ qemu: z.object({ major: z.int(), minor: z.int(), micro: z.int() }) });
const TypeList = z.array(z.object({ name: z.string() }));
const PropertyList = z.array(z.object({ name: z.string() }));

/** Ask a QEMU binary what it can do: one QMP session and one `-display help`. */
export async function probeQemuCapabilities(binary: string): Promise<Capabilities> {
  const commands: Parameters<typeof askQmp>[1] = {
    version: { execute: 'query-version' },
    types: { execute: 'qom-list-types' },
    schema: { execute: 'query-qmp-schema' },
  };
  // QMP's answer to `-device NAME,help`; a device whose module is missing answers an error.
  for (const device of PROBED_DEVICES) {
    commands[`device:${device}`] = { execute: 'device-list-properties', arguments: { typename: device } };
  }
  const [replies, displays] = await Promise.all([askQmp(binary, commands), displayHelp(binary)]);
  const value = (id: string): unknown => {
    const reply = replies.get(id);
    return reply?.ok === true ? reply.value : undefined;
  };
  const version = Version.parse(value('version')).qemu;
  const typeNames = new Set(TypeList.parse(value('types') ?? []).map((t) => t.name));
  const devices: Record<string, string[]> = {};
  for (const device of PROBED_DEVICES) {
    const properties = PropertyList.safeParse(value(`device:${device}`));
    if (properties.success) devices[device] = properties.data.map((p) => p.name).sort();
  }
  return {
    binary,
    version: `${version.major}.${version.minor}.${version.micro}`,
    displays,
    displayOptions: displayOptionsFromSchema((value('schema') ?? []) as SchemaEntry[]),
    devices,
    types: PROBED_TYPES.filter((t) => typeNames.has(t)),
  };
}

const CacheFile = z.object({
  entries: z.record(
    z.string(),
    z.object({ mtimeMs: z.number(), size: z.number(), capabilities: QemuCapabilities }),
  ),
});

/**
 * Capabilities per QEMU binary, probed once per path and modification time: remembered in
 * memory and in `$XDG_CACHE_HOME/tessera/qemu-capabilities.json`, so a CLI command does not start QEMU twice
 * to learn what it learned last time. A changed binary (an upgrade) is probed again.
 */
export class QemuCapabilityCache {
  private readonly memory = new Map<string, Promise<Capabilities>>();

  constructor(
    private readonly file: string,
    private readonly probe: (binary: string) => Promise<Capabilities> = probeQemuCapabilities,
  ) {}

  static inCacheDir(cacheDir: string): QemuCapabilityCache {
    return new QemuCapabilityCache(path.join(cacheDir, 'qemu-capabilities.json'));
  }

  get(binary: string): Promise<Capabilities> {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(binary);
    } catch {
      return Promise.reject(new TesseraError('QEMU_MISSING', `${binary} does not exist`));
    }
    const key = `${binary}\0${stat.mtimeMs}\0${stat.size}`;
    let found = this.memory.get(key);
    if (!found) {
      found = this.load(binary, stat);
      this.memory.set(key, found);
      // A failed probe is not remembered: the next ask tries again.
      found.catch(() => this.memory.delete(key));
    }
    return found;
  }

  private async load(binary: string, stat: fs.Stats): Promise<Capabilities> {
    const cache = await this.read();
    const entry = cache.entries[binary];
    if (entry && entry.mtimeMs === stat.mtimeMs && entry.size === stat.size) return entry.capabilities;
    const capabilities = await this.probe(binary);
    cache.entries[binary] = { mtimeMs: stat.mtimeMs, size: stat.size, capabilities };
    await writeCacheFile(this.file, cache);
    return capabilities;
  }

  private read(): Promise<z.infer<typeof CacheFile>> {
    return readCacheFile(this.file, CacheFile, () => ({ entries: {} }));
  }
}
