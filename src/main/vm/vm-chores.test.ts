import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import { vmDataFiles, vmRuntimeFiles } from '../paths';
import { rejection } from '../../../tests/support/rejection';
import { checkForwardPortsFree } from './port-probe';
import { spec as fixture } from './qemu-args-fixtures';
import { pngSize } from './png-size';
import { MAX_SAVED_RUNS, rotateSerialLog } from './serial-log-rotation';
import { prepareUefiVars } from './uefi-vars';
import { refuseMoreMemoryThanHost } from './start-checks';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-vm-chores-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = (fields: Omit<Parameters<typeof fixture>[0], 'name'> = {}) =>
  fixture({ name: 'alpha', ...fields });

describe('rotateSerialLog', () => {
  it('keeps the last run apart, empties the log, and keeps only the newest runs', async () => {
    const runtime = vmRuntimeFiles(path.join(dir, 'run'), 'alpha');
    const data = vmDataFiles(path.join(dir, 'data'), 'alpha');
    fs.mkdirSync(runtime.dir, { recursive: true });
    await rotateSerialLog(runtime, data); // no log yet: nothing to keep
    expect(fs.existsSync(data.runLogs)).toBe(false);
    for (let i = 0; i <= MAX_SAVED_RUNS; i++) {
      fs.writeFileSync(runtime.serialLog, `run ${i}\n`);
      await rotateSerialLog(runtime, data, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      expect(fs.statSync(runtime.serialLog).size).toBe(0);
    }
    await rotateSerialLog(runtime, data); // an empty log is not kept
    const kept = fs.readdirSync(data.runLogs).sort();
    expect(kept).toHaveLength(MAX_SAVED_RUNS);
    expect(kept[0]).toBe('2026-01-01T00-00-01-000Z-serial.log');
    expect(fs.readFileSync(path.join(data.runLogs, kept.at(-1) as string), 'utf8')).toBe(
      `run ${MAX_SAVED_RUNS}\n`,
    );
  });
});

describe('prepareUefiVars', () => {
  it('copies the template once per store and keeps what the guest wrote', async () => {
    const data = vmDataFiles(path.join(dir, 'data'), 'alpha');
    const template = path.join(dir, 'OVMF_VARS.fd');
    fs.writeFileSync(template, 'template');
    const firmware = { ovmfCode: path.join(dir, 'OVMF_CODE.fd'), ovmfVarsTemplate: template };
    await prepareUefiVars(spec({ firmware: 'uefi' }), { firmware, data });
    expect(fs.readFileSync(data.uefiVars, 'utf8')).toBe('template');
    fs.writeFileSync(data.uefiVars, 'boot entries');
    await prepareUefiVars(spec({ firmware: 'uefi' }), { firmware, data });
    expect(fs.readFileSync(data.uefiVars, 'utf8')).toBe('boot entries');
    await prepareUefiVars(spec({ firmware: 'uefi-secure-boot' }), { firmware, data });
    expect(fs.readFileSync(data.uefiSecureBootVars, 'utf8')).toBe('template');
  });

  it('names the package when OVMF is missing, on the firmware field', async () => {
    const data = vmDataFiles(path.join(dir, 'data'), 'alpha');
    const error = await rejection(prepareUefiVars(spec({ firmware: 'uefi' }), { firmware: null, data }));
    expect(error).toBeInstanceOf(TesseraError);
    expect((error as TesseraError).code).toBe('BAD_INPUT');
    expect((error as TesseraError).message).toContain('install the Debian package ovmf');
  });
});

describe('checkForwardPortsFree', () => {
  it('refuses a forward whose host port another program listens on, and passes a free one', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const forward = (hostPort: number) =>
      spec({
        network: {
          mode: 'user',
          forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort, guestPort: 22 }],
        },
      });
    try {
      const error = await rejection(checkForwardPortsFree(forward(port)));
      expect((error as TesseraError).code).toBe('CONFLICT');
      expect((error as TesseraError).message).toContain(`host port tcp/${port} is already in use`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await checkForwardPortsFree(forward(port));
  });
});

describe('pngSize', () => {
  it('reads width and height from the IHDR chunk and refuses anything else', () => {
    const png = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
    png.writeUInt32BE(13, 8);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(1280, 16);
    png.writeUInt32BE(800, 20);
    expect(pngSize(png)).toEqual({ width: 1280, height: 800 });
    expect(() => pngSize(Buffer.from('P6\n1 1\n255\n'))).toThrow('not a PNG');
  });
});

describe('refuseMoreMemoryThanHost', () => {
  it('refuses more memory than the host has, naming both sizes', () => {
    refuseMoreMemoryThanHost(spec({ memoryMiB: 1024 }), 1024 * 1048576);
    expect(() => refuseMoreMemoryThanHost(spec({ memoryMiB: 1025 }), 1024 * 1048576)).toThrow(
      "VM 'alpha' asks for 1025 MiB but this host has only 1024 MiB",
    );
  });
});
