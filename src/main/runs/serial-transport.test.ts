import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputFile } from './output-file';
import { SerialTransport, type SerialLine } from './serial-transport';

/** A shell on a fake console: it answers each typed line the way the tiny guest's does, in small pieces. */
function fakeShell(answer: (line: string) => string, piece = 3) {
  let sink: Parameters<SerialLine['start']>[0] | undefined;
  const typed: string[] = [];
  const line: SerialLine = {
    start: (s) => (sink = s),
    write: (data) => {
      for (const l of data.toString().split('\n').filter(Boolean)) {
        typed.push(l);
        // The terminal echoes the line, then the shell's output follows with CRLF line ends.
        const out = Buffer.from(`${l}\r\n${answer(l).replaceAll('\n', '\r\n')}/ # `);
        for (let i = 0; i < out.length; i += piece) {
          const chunk = out.subarray(i, i + piece);
          setImmediate(() => sink?.data(chunk));
        }
      }
    },
    close: () => undefined,
  };
  return { line, typed, end: (reason: string) => sink?.ended(reason) };
}

/** What the guest's sh prints for our lines: the echo markers evaluated, the command's output between. */
function shell(stdout: string, stderr: string, exit: number) {
  return (l: string) => {
    const markers = [...l.matchAll(/echo "TSR""([A-Z])-([0-9a-f]+-\d+)"/g)].map((m) => `TSR${m[1]}-${m[2]}`);
    if (markers.length === 1) return `${markers[0]}\n`;
    if (markers.length === 3)
      return `${markers[0]}\n${stdout}${markers[1]}\n${stderr}${markers[2]}-${exit}\n`;
    return '';
  };
}

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
function files(limit = 1 << 20) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-serial-'));
  return {
    stdout: new OutputFile(path.join(dir, 'out'), 'out', limit),
    stderr: new OutputFile(path.join(dir, 'err'), 'err', limit),
  };
}

describe('SerialTransport', () => {
  it('splits stdout, stderr and the exit code from markers cut across chunks, and never takes the echo for them', async () => {
    const fake = fakeShell(shell('line one\nline\rtwo\n', 'warn\n', 7));
    const transport = new SerialTransport(fake.line);
    await transport.ready(5000);
    const out = files();
    expect(await transport.exec('echo \'quoted\' "$HOME"', 5000, out)).toEqual({
      kind: 'exited',
      exitCode: 7,
    });
    expect(await out.stdout.close()).toEqual({ file: 'out', bytes: 18, truncated: false });
    await out.stderr.close();
    expect(fs.readFileSync(path.join(dir, 'out'), 'utf8')).toBe('line one\nline\rtwo\n');
    expect(fs.readFileSync(path.join(dir, 'err'), 'utf8')).toBe('warn\n');
    // The command travels as printf's octal escapes, so no quoting of it ever reaches the shell.
    expect(fake.typed.at(-1)).toMatch(/^printf '\\145\\143\\150\\157\\040\\047(\\\d{3})+' >/);
  });

  it('cuts output at the limit and marks it truncated', async () => {
    const transport = new SerialTransport(fakeShell(shell('x'.repeat(1000) + '\n', '', 0), 64).line);
    await transport.ready(5000);
    const out = files(100);
    expect(await transport.exec('yes', 5000, out)).toEqual({ kind: 'exited', exitCode: 0 });
    expect(await out.stdout.close()).toEqual({ file: 'out', bytes: 100, truncated: true });
    await out.stderr.close();
  });

  it('says the console went away when QEMU closes it mid-command', async () => {
    const fake = fakeShell(() => '');
    const transport = new SerialTransport(fake.line);
    const out = files();
    const pending = transport.exec('sleep 9', 5000, out);
    fake.end('VM stopped');
    expect(await pending).toEqual({ kind: 'lost', reason: 'VM stopped' });
    await out.stdout.close();
    await out.stderr.close();
  });
});
