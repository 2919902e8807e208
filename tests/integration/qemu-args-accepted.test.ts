// Every golden argv from src/main/vm/__golden__ must be accepted by the real QEMU: the goldens
// pin down what buildQemuArgs writes, this pins down that QEMU reads it. Each golden's made-up
// host paths are mapped into a temp dir holding the files they name, QEMU starts paused (-S)
// under TCG, and a QMP exchange proves it came all the way up before it is told to quit.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it, expect } from 'vitest';
import { findQemu } from '../../src/main/host/qemu-binary';

const GOLDEN_DIR = fileURLToPath(new URL('../../src/main/vm/__golden__', import.meta.url));
// The roots the goldens were written with (src/main/vm/qemu-args.test.ts).
const GOLDEN_ROOTS = ['/home/ada', '/run/user/1000'] as const;
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

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

describe('QEMU accepts every golden argv', () => {
  it('has goldens to check', () => {
    expect(goldens.length).toBeGreaterThan(0);
  });

  for (const golden of goldens) {
    const needsKernel = golden.argv.includes('-kernel');
    it.skipIf(needsKernel && hostKernel === undefined)(golden.name, async () => {
      const root = path.join(tmp, golden.name);
      const argv = prepare(golden.argv, root);
      const result = await runPaused(argv, qmpPathOf(argv));
      expect(
        result.error,
        `${result.error}\nargv: ${argv.join(' ')}\nstderr:\n${result.stderr}`,
      ).toBeUndefined();
      expect(result, `stderr:\n${result.stderr}`).toMatchObject({ exitCode: 0, signal: null, stderr: '' });
    });
  }
});

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
      const file = props.get('file.filename');
      if (file === undefined || !file.startsWith(root)) return; // a system file, e.g. OVMF code
      if (props.get('node-name') === 'ovmf-vars') fs.copyFileSync(OVMF_VARS, inRoot(file));
      else if (props.get('driver') === 'qcow2')
        execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', inRoot(file), '64M']);
      else fs.writeFileSync(inRoot(file), Buffer.alloc(1024 * 1024));
    }
    if (option === '-machine') argv[i] = arg.replace('accel=kvm', 'accel=tcg');
    if (option === '-cpu' && arg === 'host') argv[i] = 'max'; // `host` needs KVM
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
  const child = spawn(qemu, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
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
