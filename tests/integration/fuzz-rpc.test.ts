/**
 * Every call of the contract, fuzzed over the loopback WebSocket front as a signed-in tab
 * reaches it (issue 14.4): inputs made from each call's own schema with hostile values put in
 * (wrong types, huge strings, prototype keys, `..` and NUL in paths), hostile JSON of any shape,
 * unknown calls, broken envelopes, malformed JSON, binary frames. Every call must be answered
 * within 5 s with a value or a typed error (never INTERNAL, the code for a handler that threw
 * something it did not mean to); the backend must live on; nothing may change outside its own
 * dirs (the decoys beside them and the simulated host's tree stay as they were, unless a call
 * that succeeded wrote there); a batch that was refused whole changes no definition or setting,
 * and every definition on disk still parses with the contract's schema.
 *
 * Nothing here can leave a process behind: the backend's QEMU is a path that does not exist and
 * qemu-img is not on its PATH, so a fuzz case that happens to be a valid `vm.start` or
 * `disk.create` is refused with QEMU_MISSING; GPU plans go to the simulated host's tree.
 *
 * FUZZ_RUNS=N runs N batches per property instead of the default.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callNames, calls, type CallName } from '../../src/shared/contract';
import { ErrorCode } from '../../src/shared/errors';
import { Settings } from '../../src/shared/settings';
import { StoredVmSpec } from '../../src/shared/vm-spec';
import { ResultMessage } from '../../src/shared/wire';
import { createBackend, type Backend } from '../../src/main/backend';
import { localLink } from '../../src/main/server/backend-link';
import { MAX_MESSAGE_BYTES, MAX_PENDING_CALLS } from '../../src/main/server/connection-limits';
import { createFrontServer, type FrontServer } from '../../src/main/server/front-server';
import { WebSessions } from '../../src/main/server/web-sessions';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { changedPaths, snapshotTree } from '../support/helper-host';
import {
  MALFORMED_FRAMES,
  hostileValue,
  jsonText,
  schemaInput,
  type HostileOptions,
  type Json,
} from '../support/hostile-json';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { openSessionRpc, signIn, type WebSessionCredentials } from '../support/web-session';

const RUNS = Number(process.env.FUZZ_RUNS ?? 80);
const ANSWER_MS = 5000;
/** Calls that change files when they succeed, and where. */
const WRITES_OUTSIDE: Partial<Record<CallName, (params: unknown) => string[]>> = {
  'disk.create': (p) => [String((p as { path: unknown }).path)],
  'run.export': (p) => [String((p as { path: unknown }).path)],
};

let home: TempHome;
let backend: Backend;
let front: FrontServer;
let sessions: WebSessions;
let port = 0;
let hostTree: string;
let decoy: string;
let options: HostileOptions;
const internalErrors: string[] = [];

beforeAll(async () => {
  home = makeTempHome('tessera-fuzz-rpc-');
  hostTree = path.join(home.root, 'host');
  buildHostTree(findSimulatedHost('adl-p'), hostTree);
  // Things a hostile path may point at outside Tessera's dirs: a file, a folder, a disk-looking
  // file, a link into the host tree.
  decoy = path.join(home.root, 'decoy');
  fs.mkdirSync(path.join(decoy, 'folder'), { recursive: true });
  fs.writeFileSync(path.join(decoy, 'notes.txt'), 'keep me\n');
  fs.writeFileSync(path.join(decoy, 'disk.raw'), Buffer.alloc(64 * 1024));
  fs.symlinkSync(path.join(hostTree, 'sys'), path.join(decoy, 'sys-link'));
  const env: NodeJS.ProcessEnv = { ...home.env, PATH: path.join(home.root, 'no-bin') };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  backend = await createBackend({
    paths: home.paths,
    env,
    hostRoot: hostTree,
    accelerator: 'tcg',
    qemuBinary: path.join(home.root, 'no-bin', 'qemu-system-x86_64'),
    validateOutputs: true,
    kioskCommand: ['/bin/false'],
  });
  for (const name of ['keeper', 'second']) {
    const made = await backend.dispatcher.dispatch('vm.create', { name, memoryMiB: 128 });
    if (!made.ok) throw new Error(`cannot seed ${name}: ${made.error.message}`);
  }
  sessions = new WebSessions();
  front = createFrontServer({
    link: localLink(backend),
    access: { kind: 'loopback', sessions, port: () => port },
  });
  await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
  port = (front.server.address() as AddressInfo).port;
  options = {
    places: [
      home.root,
      decoy,
      path.join(decoy, 'notes.txt'),
      path.join(decoy, 'disk.raw'),
      path.join(decoy, 'folder', 'new.qcow2'),
      path.join(decoy, 'sys-link', 'bus', 'pci'),
      path.join(hostTree, 'sys', 'bus', 'pci', 'devices', '0000:00:02.0', 'sriov_numvfs'),
      path.join(home.paths.configDir, 'vms', 'keeper.json'),
      path.join(home.paths.dataDir, '..', '..', 'decoy', 'x'),
      'relative/path',
      '/nonexistent/tessera-fuzz',
    ],
    names: ['keeper', 'second', '0000:00:02.0', '0000:00:02.1', 'HDMI-A-1', 'eDP-1', 'off', 'on-stop'],
  };
});

afterAll(async () => {
  await front?.close();
  await backend?.close();
  home?.cleanup();
});

/** A raw RPC socket of a signed-in tab, with the answers it got by id. */
interface RawRpc {
  ws: WebSocket;
  answers: Map<number, unknown>;
  waiters: Map<number, (answer: unknown) => void>;
  closed: Promise<{ code: number; reason: string }>;
}

async function openRaw(session?: WebSessionCredentials): Promise<RawRpc> {
  const ws = await openSessionRpc(session ?? (await signIn(port, sessions.issueLaunch())));
  const raw: RawRpc = {
    ws,
    answers: new Map(),
    waiters: new Map(),
    closed: new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
  };
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; id?: number };
    if (message.type !== 'result' || message.id === undefined) return;
    raw.answers.set(message.id, message);
    raw.waiters.get(message.id)?.(message);
  });
  return raw;
}

function answerOf(rpc: RawRpc, id: number, what: string): Promise<unknown> {
  const got = rpc.answers.get(id);
  if (got !== undefined) return Promise.resolve(got);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${ANSWER_MS} ms to ${what}`)),
      ANSWER_MS,
    );
    rpc.waiters.set(id, (answer) => {
      clearTimeout(timer);
      rpc.waiters.delete(id);
      resolve(answer);
    });
  });
}

let nextId = 1000;

type Message =
  | { kind: 'call'; method: string; params: Json | undefined }
  | { kind: 'frame'; text: string }
  | { kind: 'binary'; bytes: Uint8Array };

/**
 * One batch: about half the calls of the contract with inputs made from their schemas (so every
 * call is reached many times over a run), then a few messages of any other kind.
 */
function batchArbitrary(): fc.Arbitrary<Message[]> {
  const fromSchemas = fc.tuple(
    ...callNames.map((name) =>
      fc.option(
        schemaInput(calls[name].input, options).map((params): Message => ({
          kind: 'call',
          method: name,
          params,
        })),
        { freq: 2 },
      ),
    ),
  );
  const envelope = fc
    .array(fc.tuple(fc.constantFrom('type', 'id', 'method', 'params', '__proto__'), hostileValue(options)), {
      maxLength: 5,
    })
    .map((entries): Message => ({ kind: 'frame', text: jsonText({ entries }) }));
  const other = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...callNames), fc.option(hostileValue(options), { freq: 8 }))
        .map(([method, params]): Message => ({ kind: 'call', method, params: params ?? undefined })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '__proto__',
            'constructor',
            'toString',
            'hasOwnProperty',
            'vm.start ',
            'VM.LIST',
            '',
          ),
          fc.string({ maxLength: 30 }),
        )
        .map((method): Message => ({ kind: 'call', method, params: { entries: [] } })),
    },
    { weight: 1, arbitrary: envelope },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...MALFORMED_FRAMES).map((text): Message => ({ kind: 'frame', text })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Message => ({ kind: 'binary', bytes })),
    },
  );
  return fc
    .tuple(fromSchemas, fc.array(other, { maxLength: 8 }))
    .map(([calls, rest]) => [...calls.filter((m): m is Message => m !== null), ...rest]);
}

function callText(id: number, method: string, params: Json | undefined): string {
  const paramsPart = params === undefined ? '' : `,"params":${jsonText(params)}`;
  return `{"type":"call","id":${id},"method":${JSON.stringify(method)}${paramsPart}}`;
}

const allowedCodes = ErrorCode.options.filter((c) => c !== 'INTERNAL');

/** Everything that lives under the test's root: Tessera's dirs, the decoys and the host tree. */
function snapshot() {
  return snapshotTree(home.root);
}

const own = () => [home.paths.configDir, home.paths.dataDir, home.paths.runtimeDir];
const inside = (file: string, dir: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

function checkDefinitionsOnDisk(): void {
  const dir = path.join(home.paths.configDir, 'vms');
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const parsed = StoredVmSpec.safeParse(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
    expect(parsed.success, `${name} on disk no longer parses`).toBe(true);
  }
  const settings = path.join(home.paths.configDir, 'settings.json');
  if (fs.existsSync(settings))
    expect(Settings.safeParse(JSON.parse(fs.readFileSync(settings, 'utf8'))).success).toBe(true);
}

describe('every contract call over the WebSocket front, fuzzed', () => {
  it(`answers ${RUNS} batches of hostile messages with values or typed errors, and writes only its own`, async () => {
    let rpc = await openRaw();
    let sent = 0;
    const byCall = new Map<string, number>();
    const outcome = await fc.check(
      fc.asyncProperty(batchArbitrary(), async (batch) => {
        if (rpc.ws.readyState !== WebSocket.OPEN) rpc = await openRaw();
        const before = snapshot();
        const waits: Promise<{ method: string; params: Json | undefined; answer: unknown; ms: number }>[] =
          [];
        for (const message of batch) {
          sent++;
          if (message.kind === 'call') {
            const id = nextId++;
            byCall.set(message.method, (byCall.get(message.method) ?? 0) + 1);
            const text = callText(id, message.method, message.params);
            const start = performance.now();
            rpc.ws.send(text);
            waits.push(
              answerOf(rpc, id, `${text.slice(0, 300)} (${text.length} bytes)`).then((answer) => ({
                ...message,
                answer,
                ms: performance.now() - start,
              })),
            );
          } else if (message.kind === 'frame') rpc.ws.send(message.text);
          else rpc.ws.send(message.bytes, { binary: true });
        }
        const settled = await Promise.allSettled(waits);
        const late = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
        if (late.length > 0) throw new Error(late.join('\n'));
        const answered = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        const succeeded: { method: string; params: unknown }[] = [];
        for (const { method, params, answer } of answered) {
          const parsed = ResultMessage.safeParse(answer);
          expect(parsed.success, `not a result: ${JSON.stringify(answer).slice(0, 300)}`).toBe(true);
          if (!parsed.success) continue;
          const { result } = parsed.data;
          if (result.ok) {
            succeeded.push({ method, params: params === undefined ? {} : JSON.parse(jsonText(params)) });
            continue;
          }
          const context = `${method} ${jsonText(params ?? null).slice(0, 300)} → ${result.error.code}: ${result.error.message.slice(0, 300)}`;
          if (result.error.code === 'INTERNAL') internalErrors.push(context);
          expect(allowedCodes, context).toContain(result.error.code);
          expect(result.error.message.length, context).toBeGreaterThan(0);
        }
        // Whatever the malformed frames were, the connection and the backend still answer.
        const probe = nextId++;
        rpc.ws.send(callText(probe, 'settings.get', { entries: [] }));
        expect(ResultMessage.parse(await answerOf(rpc, probe, 'the probe after a batch')).result.ok).toBe(
          true,
        );

        const after = snapshot();
        const mayWrite = succeeded.flatMap(
          ({ method, params }) => WRITES_OUTSIDE[method as CallName]?.(params) ?? [],
        );
        const appliedGpu = succeeded.some((s) => s.method === 'gpu.apply');
        const autostart = succeeded.some((s) => s.method === 'kiosk.autostart');
        for (const relative of changedPaths(before, after)) {
          const file = path.join(home.root, relative);
          if (own().some((dir) => inside(file, dir))) continue;
          if (appliedGpu && inside(file, hostTree)) continue;
          // kiosk.autostart writes the user unit and the XDG autostart entry (src/main/kiosk/autostart.ts).
          if (
            autostart &&
            ['systemd', 'autostart'].some((d) => inside(file, path.join(home.root, 'config', d)))
          )
            continue;
          if (mayWrite.some((p) => path.resolve(p) === file)) continue;
          throw new Error(
            `${relative} changed outside Tessera's dirs after: ${answered.map((a) => a.method).join(', ')}`,
          );
        }
        if (succeeded.length === 0) {
          const changedConfig = changedPaths(before, after).filter((r) =>
            inside(path.join(home.root, r), home.paths.configDir),
          );
          expect(changedConfig, 'a batch refused whole changed the configuration').toEqual([]);
        }
        checkDefinitionsOnDisk();
      }),
      {
        numRuns: RUNS,
        ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
        endOnFailure: process.env.FUZZ_SHRINK === undefined,
      },
    );
    // The counterexample holds strings of hundreds of kB: the report keeps its start and its end.
    if (outcome.failed) {
      const report = fc.defaultReportMessage(outcome) ?? '';
      const cause =
        outcome.errorInstance instanceof Error
          ? outcome.errorInstance.message
          : String(outcome.errorInstance);
      throw new Error(
        `${cause}\n\n${report.length > 6000 ? `${report.slice(0, 3000)} … ${report.slice(-3000)}` : report}`,
      );
    }
    rpc.ws.close();
    expect(internalErrors).toEqual([]);
    // Every call of the contract was reached (enough runs make that certain; the default does).
    expect(callNames.filter((name) => !byCall.has(name))).toEqual([]);
    console.log(
      `fuzz-rpc: ${sent} messages, ${[...byCall.values()].reduce((a, b) => a + b, 0)} calls to ${byCall.size} names`,
    );
  });
});

describe('frames that break the protocol, and clients that flood', () => {
  it('a text frame that is not UTF-8 closes that connection with 1007; the backend lives on', async () => {
    const rpc = await openRaw();
    rpc.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await rpc.closed).code).toBe(1007);
    const next = await openRaw();
    const id = nextId++;
    next.ws.send(callText(id, 'vm.list', { entries: [] }));
    expect(ResultMessage.parse(await answerOf(next, id, 'vm.list')).result.ok).toBe(true);
    next.ws.close();
  });

  it('a message over the frame limit closes that connection with 1009; another client keeps working', async () => {
    const other = await openRaw();
    const rpc = await openRaw();
    rpc.ws.send(
      callText(nextId++, 'vm.import', {
        entries: [
          [
            'source',
            {
              entries: [
                ['kind', 'libvirt'],
                ['xml', 'x'.repeat(MAX_MESSAGE_BYTES)],
              ],
            },
          ],
        ],
      }),
    );
    expect((await rpc.closed).code).toBe(1009);
    const id = nextId++;
    other.ws.send(callText(id, 'vm.list', { entries: [] }));
    expect(ResultMessage.parse(await answerOf(other, id, 'vm.list')).result.ok).toBe(true);
    other.ws.close();
  });

  it(`a client with more than ${MAX_PENDING_CALLS} calls waiting is disconnected with a reason; another keeps working`, async () => {
    const other = await openRaw();
    const flood = await openRaw();
    // All in one write: the server reads them before it can answer any.
    const texts = Array.from({ length: MAX_PENDING_CALLS * 8 }, () =>
      callText(nextId++, 'settings.get', { entries: [] }),
    );
    for (const text of texts) flood.ws.send(text);
    const closed = await flood.closed;
    expect(closed).toEqual({
      code: 1008,
      reason: `more than ${MAX_PENDING_CALLS} calls waiting for an answer`,
    });
    const id = nextId++;
    other.ws.send(callText(id, 'gpu.list', { entries: [] }));
    expect(ResultMessage.parse(await answerOf(other, id, 'gpu.list')).result.ok).toBe(true);
    other.ws.close();
  });

  it(`a client that keeps ${MAX_PENDING_CALLS} calls waiting is not cut off`, async () => {
    const rpc = await openRaw();
    const ids = Array.from({ length: MAX_PENDING_CALLS }, () => nextId++);
    for (const id of ids) rpc.ws.send(callText(id, 'settings.get', { entries: [] }));
    for (const id of ids) {
      expect(ResultMessage.parse(await answerOf(rpc, id, 'settings.get')).result.ok).toBe(true);
    }
    expect(rpc.ws.readyState).toBe(WebSocket.OPEN);
    rpc.ws.close();
  });
});
