import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { vmRuntimeFiles } from '../src/main/paths';
import { waitForTextInFile } from '../src/main/fsutil/wait-for-text';
import { readPidFile, spawnDetachedQemu } from '../src/main/vm/qemu-process';
import { startServe, stopProcess } from '../tests/support/cli-process';
import { makeTempHome } from '../tests/support/temp-home';
import { GUEST_READY_MARKER, tinyGuestCreateOptions, type TinyGuest } from '../tests/support/tiny-guest';
import { cli, guardHome, removeHome, sleep, waitGone } from './proc';
import { rfbFullUpdate, rfbHandshake, rfbPing, unixLink, webSocketLink, type RfbSession } from './rfb-probe';
import { round3 } from './stats';
import { connectServe, type ServeClient } from './serve-client';

const NAME = 'bench-vnc';
const ROUNDS = 10;
/** Round trips come in short turns, so a burst of machine noise lands on every path alike. */
const PING_TURNS = 60;
const PINGS_PER_TURN = 100;
/** Discarded first: the Node bridge's code path is not yet compiled by the JIT. */
const WARMUP_PINGS = 2000;
const STREAM_MS_PER_ROUND = 1500;
const LIVE_STREAM_MS = 3000;

export type PathName = 'unix socket (no bridge)' | 'Tessera bridge' | 'websockify' | 'QEMU websocket';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

export interface Stream {
  mbPerSecond: number;
  updatesPerSecond: number;
}

export interface ConsoleBridgeResult {
  screen: string;
  /** Round trips of a small message answered by the VM's QEMU. */
  latency: Record<PathName, Latency>;
  /** Full-screen updates as fast as QEMU sends them (its display refresh paces them). */
  liveStream: Record<PathName, Stream>;
  /** The VM's full-screen update replayed as fast as the path carries it, and round trips there. */
  replayStream: Partial<Record<PathName, Stream>>;
  replayLatency: Partial<Record<PathName, Latency>>;
  /** Tessera's replayed-stream throughput over websockify's. */
  throughputRatio: number;
  /** p99 round trip to the VM through Tessera's bridge minus through no bridge. */
  addedP99Ms: number;
  websockifyAddedP99Ms: number;
}

function streamFigures(t: { bytes: number; updates: number; ms: number }): Stream {
  return { mbPerSecond: round3(t.bytes / 1000 / t.ms), updatesPerSecond: round3((t.updates * 1000) / t.ms) };
}

async function measureStream(session: RfbSession, ms: number): Promise<Stream> {
  const t = { bytes: 0, updates: 0, ms: 0 };
  const started = performance.now();
  while (performance.now() - started < ms) {
    t.bytes += (await rfbFullUpdate(session)).bytes;
    t.updates += 1;
  }
  t.ms = performance.now() - started;
  return streamFigures(t);
}

/** Round trips on every path, PING_TURNS times PINGS_PER_TURN each, the paths taking turns. */
async function measureLatency(
  sessions: Map<PathName, RfbSession>,
  log: (line: string) => void,
): Promise<Record<PathName, Latency>> {
  const samples = new Map<PathName, number[]>([...sessions.keys()].map((n) => [n, []]));
  for (const session of sessions.values()) {
    for (let i = 0; i < WARMUP_PINGS; i++) await rfbPing(session);
  }
  for (let turn = 0; turn < PING_TURNS; turn++) {
    for (const [name, session] of sessions) {
      const out = samples.get(name) as number[];
      for (let i = 0; i < PINGS_PER_TURN; i++) {
        const t = performance.now();
        await rfbPing(session);
        out.push(performance.now() - t);
      }
    }
  }
  const result = {} as Record<PathName, Latency>;
  for (const [name, values] of samples) {
    const sorted = values.sort((a, b) => a - b);
    result[name] = { p50Ms: round3(percentile(sorted, 50)), p99Ms: round3(percentile(sorted, 99)) };
    log(`  ${name}: round trip p50 ${result[name].p50Ms} ms, p99 ${result[name].p99Ms} ms`);
  }
  return result;
}

/** The replay server in a worker thread: its own event loop, apart from the client's. */
async function startReplayServer(
  socketPath: string,
  serverInit: Buffer,
  update: Buffer,
): Promise<{ stop(): Promise<void> }> {
  const script = new URL('./vnc-replay-server.js', import.meta.url);
  const worker = new Worker(script, { workerData: { socketPath, serverInit, update } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the replay server exited with ${code}`)));
  });
  return {
    async stop() {
      worker.postMessage('stop');
      await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await sleep(50);
  }
}

/**
 * One VM, four ways to its VNC display: its unix socket directly (the floor), Tessera's bridge in
 * a `tessera serve` process (as a browser reaches it), websockify (Debian's package) on the same
 * socket, and QEMU's own VNC websocket listener. The same client code reads each: round trips of
 * a small message, and a stream of full-screen raw updates, interleaved round by round.
 */
export async function benchConsoleBridge(options: {
  guest: TinyGuest;
  log: (line: string) => void;
}): Promise<ConsoleBridgeResult> {
  const { guest, log } = options;
  const websockifyBin = ['/usr/bin/websockify', '/usr/local/bin/websockify'].find((f) => fs.existsSync(f));
  if (!websockifyBin) throw new Error('websockify is not installed: apt install websockify');
  const home = makeTempHome('tessera-bench-vnc-');
  const files = vmRuntimeFiles(home.paths.runtimeDir, NAME);
  let serve: ChildProcess | undefined;
  let websockify: ChildProcess | undefined;
  const { killAll, forget } = guardHome(home, () => [serve, websockify]);
  const sessions: RfbSession[] = [];
  let replay: { stop(): Promise<void> } | undefined;
  let rpc: ServeClient | undefined;
  try {
    await cli(['vm', 'create', NAME, ...tinyGuestCreateOptions(guest, 256)], home.env);
    const [binary, ...argv] = JSON.parse(
      (await cli(['vm', 'args', NAME, '--json'], home.env)).stdout,
    ) as string[];
    if (binary === undefined) throw new Error('`tessera vm args` printed an empty argv');
    // The VM's own argv, plus QEMU's websocket listener beside its VNC socket (QEMU 7.2 wants a
    // TCP address for it). Started by hand, then adopted by `tessera serve` like any running VM.
    const qemuWsPort = await freePort();
    const vncAt = argv.indexOf('-vnc') + 1;
    if (vncAt === 0) throw new Error('the VM has no -vnc option');
    argv[vncAt] = `${argv[vncAt]},websocket=127.0.0.1:${qemuWsPort}`;
    fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    spawnDetachedQemu(binary, argv, files.log);
    await waitForTextInFile(files.serialLog, GUEST_READY_MARKER, { timeoutMs: 120_000 });
    log('  guest is up');

    const served = await startServe(home.env);
    serve = served.child;
    rpc = await connectServe(served.url);
    const { origin, cookie } = rpc;
    const vm = await rpc.client.call('vm.get', { id: NAME });
    if (vm.state !== 'running') throw new Error(`serve sees the VM as ${vm.state}`);

    const websockifyPort = await freePort();
    websockify = spawn(websockifyBin, ['--unix-target', files.vnc, `127.0.0.1:${websockifyPort}`], {
      stdio: 'ignore',
    });
    await waitForPort(websockifyPort);
    await waitForPort(qemuWsPort);

    const client = rpc.client;
    const open: Record<PathName, () => Promise<RfbSession>> = {
      'unix socket (no bridge)': async () => rfbHandshake(await unixLink(files.vnc)),
      'Tessera bridge': async () => {
        const grant = await client.call('console.open', { id: NAME, kind: 'vnc' });
        return rfbHandshake(
          await webSocketLink(`${origin.replace('http', 'ws')}${grant.path}`, {
            Cookie: cookie,
            Origin: origin,
          }),
        );
      },
      websockify: async () => rfbHandshake(await webSocketLink(`ws://127.0.0.1:${websockifyPort}/`)),
      'QEMU websocket': async () => rfbHandshake(await webSocketLink(`ws://127.0.0.1:${qemuWsPort}/`)),
    };
    const names = Object.keys(open) as PathName[];
    const opened = new Map<PathName, RfbSession>();
    for (const name of names) {
      const session = await open[name]();
      sessions.push(session);
      opened.set(name, session);
    }
    const direct = opened.get('unix socket (no bridge)') as RfbSession;
    const screen = `${direct.width}x${direct.height}`;
    log(`  screen ${screen}, ${(direct.width * direct.height * 4) / 1e6} MB per raw full update`);

    // Latency first, on its own: streaming megabytes leaves garbage that would land in the tail.
    const latency = await measureLatency(opened, log);
    const liveStream = {} as Record<PathName, Stream>;
    for (const name of names) {
      liveStream[name] = await measureStream(opened.get(name) as RfbSession, LIVE_STREAM_MS);
      log(
        `  live ${name}: ${liveStream[name].mbPerSecond} MB/s (${liveStream[name].updatesPerSecond} updates/s)`,
      );
    }

    // The replay server takes the place of QEMU's socket file (QEMU keeps its listener, and
    // the sessions already open stay with it); new connections to the VM's vnc.sock reach it.
    const recorded = await rfbFullUpdate(direct, true);
    for (const session of sessions.splice(0)) session.link.close();
    replay = await startReplayServer(files.vnc, direct.serverInit, recorded.message as Buffer);
    const replayed = new Map<PathName, RfbSession>();
    for (const name of ['unix socket (no bridge)', 'Tessera bridge', 'websockify'] as const) {
      const session = await open[name]();
      sessions.push(session);
      replayed.set(name, session);
    }
    const replayLatency = await measureLatency(replayed, log);
    const replayStream: Partial<Record<PathName, Stream>> = {};
    const totals = new Map<PathName, { bytes: number; updates: number; ms: number }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, session] of replayed) {
        const t = totals.get(name) ?? { bytes: 0, updates: 0, ms: 0 };
        const started = performance.now();
        while (performance.now() - started < STREAM_MS_PER_ROUND) {
          t.bytes += (await rfbFullUpdate(session)).bytes;
          t.updates += 1;
        }
        t.ms += performance.now() - started;
        totals.set(name, t);
      }
    }
    for (const [name, t] of totals) {
      replayStream[name] = streamFigures(t);
      log(
        `  replay ${name}: ${replayStream[name].mbPerSecond} MB/s (${replayStream[name].updatesPerSecond} updates/s)`,
      );
    }
    const floor = latency['unix socket (no bridge)'].p99Ms;
    const ours = replayStream['Tessera bridge'];
    const theirs = replayStream.websockify;
    if (!ours || !theirs) throw new Error('the replayed stream was not measured');
    return {
      screen,
      latency,
      liveStream,
      replayStream,
      replayLatency,
      throughputRatio: round3(ours.mbPerSecond / theirs.mbPerSecond),
      addedP99Ms: round3(latency['Tessera bridge'].p99Ms - floor),
      websockifyAddedP99Ms: round3(latency.websockify.p99Ms - floor),
    };
  } finally {
    for (const s of sessions) s.link.close();
    await replay?.stop();
    rpc?.close();
    const pid = await readPidFile(files.pid);
    try {
      websockify?.kill('SIGTERM');
      if (serve) {
        await cli(['vm', 'kill', NAME], home.env).catch(() => undefined);
        await stopProcess(serve, 'SIGTERM');
      }
    } finally {
      killAll();
      if (pid !== undefined) await waitGone(pid).catch((error: unknown) => log(`  ${String(error)}`));
      forget();
      removeHome(home.root);
    }
  }
}
