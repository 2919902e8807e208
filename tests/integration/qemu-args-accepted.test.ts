// Every golden argv from src/main/vm/__golden__ must be accepted by the real QEMU: the goldens
// pin down what buildQemuArgs writes, this pins down that QEMU reads it. Each golden's made-up
// host paths are mapped into a temp dir holding the files they name, QEMU starts paused (-S)
// under TCG, and a QMP exchange proves it came all the way up before it is told to quit.
//
// GPU goldens name what this machine lacks (a VF, a vGPU, a render node, /dev/udmabuf, free
// hugepages). QEMU may fail on those, and only on those: its stderr is classified
// (src/main/vm/qemu-stderr.ts), the missing piece is taken out of the argv, and QEMU runs again
// until it comes up. So every option after the first missing device is still read by QEMU, and a
// failure for any other reason (an unknown or malformed option) fails the test. QEMU's own
// window runs in Xvfb, and a TPM golden gets a real swtpm.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { findQemu, searchPath } from '../../src/main/host/qemu-binary';
import { classifyQemuStderr, type HostResource, type QemuFailure } from '../../src/main/vm/qemu-stderr';
import { startXvfb, type Xvfb } from '../support/xvfb';

const GOLDEN_DIR = fileURLToPath(new URL('../../src/main/vm/__golden__', import.meta.url));
// The roots the goldens were written with (src/main/vm/qemu-args.test.ts).
const GOLDEN_ROOTS = ['/home/ada', '/run/user/1000'] as const;
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const OVMF_SECURE_BOOT_VARS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';
const swtpm = searchPath('swtpm', process.env);

const goldens = fs
  .readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.args'))
  .sort()
  .map((f) => ({
    name: f.replace(/\.args$/, ''),
    argv: fs
      .readFileSync(path.join(GOLDEN_DIR, f), 'utf8')
      .split('\n')
      .filter((line) => line !== ''),
  }));

// QEMU checks the kernel header at machine init, even with -S, so a dummy file will not do.
const hostKernel = fs
  .readdirSync('/boot')
  .filter((f) => f.startsWith('vmlinuz-'))
  .sort()
  .map((f) => path.join('/boot', f))
  .find((f) => isReadable(f));

const qemu = findQemu({ env: process.env }).path;
// Short: socket paths must fit in 108 bytes. No commas: the root is pasted into option strings.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-qa-'));
if (tmp.includes(',')) throw new Error(`temp dir ${tmp} has a comma`);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let xvfb: Xvfb | undefined;
beforeAll(async () => {
  if (goldens.some((g) => g.argv.some((a) => a.startsWith('gtk')))) xvfb = await startXvfb();
});
afterAll(() => xvfb?.stop());

describe('QEMU accepts every golden argv', () => {
  it('has goldens to check', () => {
    expect(goldens.length).toBeGreaterThan(0);
  });

  for (const golden of goldens) {
    const needsKernel = golden.argv.includes('-kernel');
    const needsTpm = golden.argv.includes('-tpmdev');
    it.skipIf((needsKernel && hostKernel === undefined) || (needsTpm && swtpm === undefined))(
      golden.name,
      async () => {
        const root = path.join(tmp, golden.name);
        let argv = prepare(golden.argv, root);
        const allowed = absencesAllowed(golden.argv);
        const absent: string[] = [];
        if (golden.name.endsWith('-intel-qemu')) argv = await withoutIntelOptions(argv);
        for (;;) {
          // swtpm ends with its client (--terminate), so each run gets its own.
          const tpm = needsTpm ? await startSwtpm(argv, root) : undefined;
          let result: RunResult;
          try {
            result = await runPaused(argv, qmpPathOf(argv));
          } finally {
            tpm?.kill('SIGKILL');
          }
          const failure = classifyQemuStderr(result.stderr);
          const context = `argv: ${argv.join(' ')}\nstderr:\n${result.stderr}`;
          if (failure === null) {
            expect(result.error, `${result.error}\n${context}`).toBeUndefined();
            expect(result, context).toMatchObject({ exitCode: 0, signal: null });
            break;
          }
          expect(failure, context).toMatchObject({ kind: 'host-absent' });
          if (failure.kind !== 'host-absent') return;
          expect(allowed, `${failure.resource} is not named by this golden\n${context}`).toContain(
            failure.resource,
          );
          absent.push(`${failure.resource} ${failure.subject}`);
          argv = withoutAbsent(argv, failure);
        }
        // Each missing piece (two keyboards are two) is reported once: a stand-in that failed the same way would loop.
        expect(new Set(absent).size).toBe(absent.length);
      },
    );
  }
});

/**
 * A golden for Intel's patched QEMU: stock QEMU must refuse exactly its GTK additions (which is
 * why the argv builder leaves them out for a stock build), and read everything else.
 */
async function withoutIntelOptions(argv: string[]): Promise<string[]> {
  const result = await runPaused(argv, qmpPathOf(argv));
  expect(result.stderr).toMatch(/Parameter '(connectors|show-fps|input)' is unexpected/);
  return argv.map((a) =>
    a.startsWith('gtk,')
      ? a
          .replace(/,connectors\.\d+=[^,]*/g, '')
          .replace(',show-fps=on', '')
          .replace(',input=off', '')
      : a,
  );
}

/** What a golden may find absent on this machine: only what its argv names from the host. */
function absencesAllowed(argv: readonly string[]): HostResource[] {
  const allowed: HostResource[] = [];
  const has = (text: string) => argv.some((a) => a.includes(text));
  if (has('vfio-pci') && has('host=')) allowed.push('vfio-device', 'vfio-group');
  if (has('sysfsdev=/sys/bus/mdev/')) allowed.push('mdev-device');
  if (has('egl-headless,rendernode=')) allowed.push('render-node');
  if (has('blob=true')) allowed.push('udmabuf');
  if (has('input-linux,')) allowed.push('evdev-device');
  const memoryMiB = Number(/^(\d+)M$/.exec(argv[argv.indexOf('-m') + 1] ?? '')?.[1] ?? 0);
  if (has('hugetlb=on') || memoryMiB * 1024 * 1024 > os.totalmem()) allowed.push('guest-memory');
  return allowed;
}

/** The argv without what the failure says is missing, so QEMU reads on past it. */
function withoutAbsent(argv: string[], failure: Extract<QemuFailure, { kind: 'host-absent' }>): string[] {
  const next = [...argv];
  switch (failure.resource) {
    case 'vfio-device':
    case 'vfio-group':
    case 'mdev-device': {
      // QEMU names the device by its sysfs path or address; the argv by address or by that path.
      const address = path.basename(failure.subject);
      const i = next.findIndex(
        (a) => a.includes(`host=${address}`) || a.includes(`sysfsdev=${failure.subject}`),
      );
      if (next[i - 1] !== '-device') throw new Error(`no -device for ${failure.subject}`);
      // A vGPU that was the display leaves an emulated one in its place, so a window still has
      // a console to show (QEMU 7.2's GTK display crashes full-screen without any).
      if (next[i]?.includes('display=on')) next.splice(i - 1, 2, '-device', 'VGA,id=gpu0');
      else next.splice(i - 1, 2);
      return next;
    }
    case 'render-node': {
      // A GL display this machine has (Mesa in Xvfb), so what needs GL after it is still checked.
      // GTK's GL context takes no SPICE beside it, while egl-headless does (it copies frames to
      // the 2D console: QEMU's ui/egl-headless.c), so with SPICE there is no stand-in.
      const i = next.findIndex((a) => a.startsWith('egl-headless'));
      next[i] = next.includes('-spice') ? 'none' : 'gtk,gl=on';
      return next;
    }
    case 'udmabuf':
      return next.map((a) => a.replace(',blob=true', ''));
    case 'evdev-device': {
      // This machine has no such keyboard or mouse plugged in; the options after it are still read.
      const i = next.findIndex((a) => a.startsWith('input-linux,') && a.includes(`evdev=${failure.subject}`));
      if (next[i - 1] !== '-object') throw new Error(`no -object for ${failure.subject}`);
      next.splice(i - 1, 2);
      return next;
    }
    case 'guest-memory':
      // Hugepages this machine has none of, or more RAM than it has: ordinary pages, then less.
      if (next.some((a) => a.includes('hugetlb=on')))
        return next.map((a) => a.replace(/,hugetlb=on,hugetlbsize=\w+/, ''));
      return next.map((a, i) =>
        next[i - 1] === '-m' ? '1024M' : a.replace(/(memory-backend-memfd,.*size=)\d+M/, '$11024M'),
      );
    default:
      throw new Error(`nothing stands in for a missing ${failure.resource}`);
  }
}

/** swtpm on the golden's TPM socket, as the VM service starts it. */
async function startSwtpm(argv: readonly string[], root: string): Promise<ChildProcess> {
  const chardev = argv.find((a) => a.startsWith('socket,id=tpm0-sock,'));
  const socket = chardev === undefined ? undefined : parseKeyval(chardev).get('path');
  if (socket === undefined || swtpm === undefined) throw new Error('no TPM socket in the argv');
  const state = path.join(root, 'tpm');
  fs.mkdirSync(state, { recursive: true });
  const child = spawn(
    swtpm,
    ['socket', '--tpm2', '--tpmstate', `dir=${state}`, '--ctrl', `type=unixio,path=${socket}`, '--terminate'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
  return child;
}

/** The golden's argv with its paths moved under `root`, the files it names created, and TCG forced. */
function prepare(golden: string[], root: string): string[] {
  const argv = golden.map((arg) => relocate(arg, root));
  const inRoot = (file: string): string => {
    if (!path.resolve(file).startsWith(root + path.sep)) throw new Error(`${file} is outside the test dir`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return file;
  };

  argv.forEach((arg, i) => {
    const option = argv[i - 1];
    // These take their value verbatim. The files go where an unescaped path points, so a value
    // escaped by mistake (`,,`) names a file that is not there and QEMU fails.
    const verbatim = arg.replaceAll(',,', ',');
    if (option === '-pidfile') fs.mkdirSync(path.dirname(inRoot(verbatim)), { recursive: true, mode: 0o700 });
    if (option === '-kernel') fs.symlinkSync(hostKernel ?? '', inRoot(verbatim));
    if (option === '-initrd') fs.writeFileSync(inRoot(verbatim), 'initrd');
    if (option === '-blockdev') {
      const props = parseKeyval(arg);
      // A golden image's overlay names its read-only backing file too (`backing.file.filename`).
      for (const prefix of ['', 'backing.']) {
        const file = props.get(`${prefix}file.filename`);
        if (file === undefined || !file.startsWith(root)) continue; // a system file, e.g. OVMF code
        if (props.get('node-name') === 'ovmf-vars') {
          fs.copyFileSync(file.endsWith('.ms.fd') ? OVMF_SECURE_BOOT_VARS : OVMF_VARS, inRoot(file));
        } else if (props.get(`${prefix}driver`) === 'qcow2')
          execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', inRoot(file), '64M']);
        else fs.writeFileSync(inRoot(file), Buffer.alloc(1024 * 1024));
      }
    }
    if (option === '-machine') argv[i] = arg.replace('accel=kvm', 'accel=tcg');
    if (option === '-cpu') argv[i] = arg.replace(/^host(?=,|$)/, 'max'); // `host` needs KVM
    if (option === '-chardev' && arg.startsWith('socket,id=tpm0-sock,')) {
      fs.mkdirSync(path.dirname(parseKeyval(arg).get('path') ?? ''), { recursive: true, mode: 0o700 });
    }
  });
  return [...argv, '-S'];
}

function relocate(arg: string, root: string): string {
  let out = arg;
  GOLDEN_ROOTS.forEach((from, i) => {
    // Option strings carry paths with doubled commas; the root itself has none.
    out = out.replaceAll(from + '/', path.join(root, `r${i}`) + '/');
  });
  return out;
}

/** `a=b,,c,d=e` → a: "b,c", d: "e" (QEMU's keyval: a doubled comma is a literal one). */
function parseKeyval(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === ',' && text[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq > 0) props.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return props;
}

function qmpPathOf(argv: string[]): string {
  const chardev = argv.find((a) => a.startsWith('socket,id=qmp,'));
  const qmp = chardev === undefined ? undefined : parseKeyval(chardev).get('path');
  if (qmp === undefined) throw new Error('no QMP socket in the argv');
  return qmp;
}

interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  error?: string;
}

/** Start QEMU, wait for its QMP greeting, negotiate, ask it to quit, and report how it ended. */
async function runPaused(argv: string[], qmpPath: string): Promise<RunResult> {
  const env = xvfb ? { ...process.env, DISPLAY: xvfb.display } : process.env;
  const child = spawn(qemu, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  let done = false;
  void exited.then(() => (done = true));

  let error: string | undefined;
  try {
    await quitOverQmp(qmpPath, () => done);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const end = await exited;
  clearTimeout(timer);
  return { ...end, stderr, ...(error === undefined ? {} : { error }) };
}

async function quitOverQmp(socketPath: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  let socket: net.Socket | undefined;
  while (!socket) {
    if (exited()) throw new Error('QEMU exited before its QMP socket answered');
    if (Date.now() > deadline) throw new Error('QMP socket did not answer within 20 s');
    socket = await connect(socketPath).catch(() => undefined);
    if (!socket) await new Promise((r) => setTimeout(r, 50));
  }
  const lines = readLines(socket);
  try {
    const greeting = await lines.next();
    if (!('QMP' in greeting)) throw new Error(`unexpected QMP greeting ${JSON.stringify(greeting)}`);
    socket.write('{"execute":"qmp_capabilities"}\n');
    await expectReturn(lines);
    socket.write('{"execute":"quit"}\n');
    await expectReturn(lines);
  } finally {
    socket.destroy();
  }
}

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function expectReturn(lines: { next(): Promise<Record<string, unknown>> }): Promise<void> {
  for (;;) {
    const message = await lines.next();
    if ('return' in message) return;
    if ('error' in message) throw new Error(`QMP error ${JSON.stringify(message.error)}`);
    // Anything else is an asynchronous event; keep reading.
  }
}

function readLines(socket: net.Socket): { next(): Promise<Record<string, unknown>> } {
  const queue: Record<string, unknown>[] = [];
  const waiters: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let buffer = '';
  let closed: Error | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(message);
      else queue.push(message);
    }
  });
  const fail = (error: Error): void => {
    closed = error;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  socket.on('close', () => fail(new Error('QMP socket closed')));
  socket.on('error', fail);
  return {
    next() {
      const message = queue.shift();
      if (message) return Promise.resolve(message);
      if (closed) return Promise.reject(closed);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}

function isReadable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
