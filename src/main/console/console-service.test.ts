import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { VmInfo, VmState } from '../../shared/vm-spec';
import { testVmInfo } from '../../../tests/support/vm-info';
import { vmDataFiles, vmRuntimeFiles, type TesseraPaths } from '../paths';
import { EventBus } from '../rpc/dispatcher';
import { rejection } from '../../../tests/support/rejection';
import {
  CONSOLE_TOKEN_TTL_MS,
  ConsoleService,
  SPICE_CHANNEL_WINDOW_MS,
  SPICE_CHANNELS_MAX,
} from './console-service';

const paths: TesseraPaths = {
  configDir: '/nonexistent/config',
  runtimeDir: '/nonexistent/run/tessera',
  // Written to (ssh's known_hosts folder), so a real temp dir.
  dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-console-data-')),
  cacheDir: '/nonexistent/cache',
};

function vm(
  id: string,
  state: VmState,
  display: 'vnc' | 'spice' | 'none' = 'vnc',
  forwards: { hostPort: number; guestPort: number; protocol?: 'tcp' | 'udp' }[] = [],
): VmInfo {
  return testVmInfo(id, { state, spec: { display: { kind: display }, network: { forwards } } });
}

// An `ssh` of our own on PATH: the tests must not depend on openssh-client being installed.
let fakeBin: string;
beforeAll(() => {
  fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bin-'));
  fs.writeFileSync(path.join(fakeBin, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
});
afterAll(() => {
  fs.rmSync(fakeBin, { recursive: true, force: true });
  fs.rmSync(paths.dataDir, { recursive: true, force: true });
});

/** A console service over fixed VMs and a clock the test moves by hand. */
function setup(list: VmInfo[]) {
  const byId = new Map(list.map((v) => [v.id, v]));
  const vms = {
    get: (id: string): Promise<VmInfo> => {
      const found = byId.get(id);
      return found
        ? Promise.resolve(found)
        : Promise.reject(new TesseraError('NOT_FOUND', `no VM named '${id}'`));
    },
  };
  const clock = { now: 1_700_000_000_000 };
  const bus = new EventBus();
  const env = { HOME: '/home/ada', SHELL: '/bin/sh', PATH: fakeBin };
  const service = new ConsoleService({ paths, vms, bus, env, now: () => clock.now });
  return { service, clock, bus };
}

/** The token inside the bridge path the call hands out. */
function tokenOf(result: { token: string; path: string }): string {
  expect(result.path).toBe(`/console/${result.token}`);
  return result.token;
}

describe('ConsoleService', () => {
  it('hands out a token that works exactly once', async () => {
    const { service } = setup([vm('alpha', 'running')]);
    const token = tokenOf(await service.open('alpha', 'serial'));
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const files = vmRuntimeFiles(paths.runtimeDir, 'alpha');
    expect(service.redeem(token)).toEqual({
      id: 'alpha',
      kind: 'serial',
      source: { socketPath: files.serial, logFile: files.serialLog },
    });
    expect(service.redeem(token)).toBeUndefined();
  });

  it('gives a fresh token on every open', async () => {
    const { service } = setup([vm('alpha', 'running')]);
    const a = tokenOf(await service.open('alpha', 'serial'));
    const b = tokenOf(await service.open('alpha', 'serial'));
    expect(a).not.toBe(b);
    expect(service.redeem(b)?.id).toBe('alpha');
    expect(service.redeem(a)?.id).toBe('alpha');
  });

  it('refuses a token once its time is up', async () => {
    const { service, clock } = setup([vm('alpha', 'running')]);
    const stale = tokenOf(await service.open('alpha', 'serial'));
    const fresh = tokenOf(await service.open('alpha', 'serial'));
    clock.now += CONSOLE_TOKEN_TTL_MS - 1;
    expect(service.redeem(fresh)).toBeDefined();
    clock.now += 2;
    expect(service.redeem(stale)).toBeUndefined();
  });

  it('refuses an expired token even after a later open swept the others', async () => {
    const { service, clock } = setup([vm('alpha', 'running')]);
    const stale = tokenOf(await service.open('alpha', 'vnc'));
    clock.now += CONSOLE_TOKEN_TTL_MS + 1;
    await service.open('alpha', 'vnc');
    expect(service.redeem(stale)).toBeUndefined();
  });

  it('refuses an unknown token', async () => {
    const { service } = setup([vm('alpha', 'running')]);
    await service.open('alpha', 'serial');
    expect(service.redeem('not-a-token')).toBeUndefined();
    expect(service.redeem('')).toBeUndefined();
  });

  it("binds a token to its own VM's socket", async () => {
    const { service } = setup([vm('alpha', 'running'), vm('beta', 'paused')]);
    const a = tokenOf(await service.open('alpha', 'vnc'));
    const b = tokenOf(await service.open('beta', 'vnc'));
    const bSerial = tokenOf(await service.open('beta', 'serial'));
    const alphaVnc = vmRuntimeFiles(paths.runtimeDir, 'alpha').vnc;
    const betaFiles = vmRuntimeFiles(paths.runtimeDir, 'beta');

    const grantB = service.redeem(b);
    expect(grantB).toMatchObject({ id: 'beta', kind: 'vnc', socketPath: betaFiles.vnc });
    const grantA = service.redeem(a);
    expect(grantA).toMatchObject({ id: 'alpha', kind: 'vnc', socketPath: alphaVnc });
    expect(
      grantA?.kind === 'vnc' && grantA.socketPath.startsWith(path.join(paths.runtimeDir, 'alpha') + path.sep),
    ).toBe(true);
    expect(service.redeem(bSerial)).toMatchObject({
      id: 'beta',
      kind: 'serial',
      source: { socketPath: betaFiles.serial, logFile: betaFiles.serialLog },
    });
  });

  it('refuses to open a console of a VM that is not running', async () => {
    const { service } = setup([vm('off', 'stopped'), vm('dead', 'crashed')]);
    for (const id of ['off', 'dead']) {
      for (const kind of ['serial', 'vnc', 'monitor'] as const) {
        const error = await rejection(service.open(id, kind));
        expect(error.code).toBe('INVALID_STATE');
        expect(error.message).toContain(`'${id}'`);
      }
    }
  });

  it("refuses a graphical console of a VM whose display is 'none', but gives its serial and monitor", async () => {
    const { service } = setup([vm('headless', 'running', 'none')]);
    for (const kind of ['vnc', 'spice'] as const) {
      const error = await rejection(service.open('headless', kind));
      expect(error.code).toBe('INVALID_STATE');
      expect(error.message).toContain("display is 'none'");
    }
    expect(service.redeem(tokenOf(await service.open('headless', 'serial')))?.kind).toBe('serial');
    const monitor = service.redeem(tokenOf(await service.open('headless', 'monitor')));
    const files = vmRuntimeFiles(paths.runtimeDir, 'headless');
    expect(monitor).toMatchObject({
      kind: 'monitor',
      source: { socketPath: files.monitor, logFile: files.monitorLog },
    });
  });

  it('opens the graphical console the display has, and says which one when asked for the other', async () => {
    const { service } = setup([vm('v', 'running', 'vnc'), vm('s', 'running', 'spice')]);
    expect((await rejection(service.open('v', 'spice'))).message).toBe(
      "VM 'v' shows its screen over VNC, not SPICE (display is 'vnc')",
    );
    expect((await rejection(service.open('s', 'vnc'))).message).toBe(
      "VM 's' shows its screen over SPICE, not VNC (display is 'spice')",
    );
    const spice = service.redeem(tokenOf(await service.open('s', 'spice')));
    expect(spice).toEqual({
      kind: 'spice',
      id: 's',
      socketPath: vmRuntimeFiles(paths.runtimeDir, 's').spice,
    });
  });

  it('lets one SPICE token open the few channels of one session, then no more', async () => {
    const { service, clock } = setup([vm('s', 'running', 'spice')]);
    const token = tokenOf(await service.open('s', 'spice'));
    for (let i = 0; i < SPICE_CHANNELS_MAX; i++) {
      expect(service.redeem(token)?.id, `channel ${i}`).toBe('s');
      clock.now += 100;
    }
    expect(service.redeem(token)).toBeUndefined();
  });

  it('closes the SPICE window shortly after the first channel, however many are left', async () => {
    const { service, clock } = setup([vm('s', 'running', 'spice')]);
    const token = tokenOf(await service.open('s', 'spice'));
    clock.now += CONSOLE_TOKEN_TTL_MS - 1;
    expect(service.redeem(token)?.id).toBe('s');
    clock.now += SPICE_CHANNEL_WINDOW_MS;
    expect(service.redeem(token)?.id).toBe('s');
    clock.now += 1;
    expect(service.redeem(token)).toBeUndefined();
  });

  it('spends the tokens of a VM that stops, and only of that VM', async () => {
    const alpha = vm('alpha', 'running', 'spice');
    const { service, bus } = setup([alpha, vm('beta', 'running')]);
    const a = tokenOf(await service.open('alpha', 'spice'));
    const b = tokenOf(await service.open('beta', 'serial'));
    bus.emit('vm.changed', { vm: { ...alpha, state: 'stopped' } });
    expect(service.redeem(a)).toBeUndefined();
    expect(service.redeem(b)?.id).toBe('beta');
  });

  it("opens the user's shell in their home for a host terminal", async () => {
    const { service } = setup([]);
    const target = service.redeem(tokenOf(await service.openTerminal({ kind: 'host' })));
    expect(target).toMatchObject({
      kind: 'terminal',
      command: { file: '/bin/sh', args: [], cwd: '/home/ada', env: { TERM: 'xterm-256color' } },
    });
    expect(target && 'id' in target ? target.id : undefined).toBeUndefined();
  });

  it('runs ssh to the forwarded port of a guest, with a known_hosts file of its own', async () => {
    const { service } = setup([
      vm('web', 'running', 'vnc', [
        { hostPort: 8080, guestPort: 80 },
        { hostPort: 2222, guestPort: 22 },
      ]),
    ]);
    const target = service.redeem(
      tokenOf(await service.openTerminal({ kind: 'ssh', id: 'web', user: 'ada' })),
    );
    if (target?.kind !== 'terminal') throw new Error('expected a terminal');
    expect(target.id).toBe('web');
    expect(target.command.file).toBe(path.join(fakeBin, 'ssh'));
    expect(target.command.args).toEqual(expect.arrayContaining(['-p', '2222', 'ada@127.0.0.1']));
    expect(target.command.args).toContain(
      `UserKnownHostsFile=${vmDataFiles(paths.dataDir, 'web').knownHosts}`,
    );
    expect(target.command.args.at(-1)).toBe('ada@127.0.0.1');
    expect(fs.statSync(vmDataFiles(paths.dataDir, 'web').dir).isDirectory()).toBe(true);
  });

  it('says which package brings ssh when it is missing', async () => {
    const { service } = setup([vm('web', 'running', 'vnc', [{ hostPort: 2222, guestPort: 22 }])]);
    fs.rmSync(path.join(fakeBin, 'ssh'));
    try {
      const error = await rejection(service.openTerminal({ kind: 'ssh', id: 'web', user: 'root' }));
      expect(error).toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('openssh-client'),
      });
    } finally {
      fs.writeFileSync(path.join(fakeBin, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
    }
  });

  it('refuses ssh into a VM that forwards no port to guest port 22, or is not running', async () => {
    const { service } = setup([
      vm('closed', 'running', 'vnc', [{ hostPort: 2222, guestPort: 22, protocol: 'udp' }]),
      vm('off', 'stopped', 'vnc', [{ hostPort: 2223, guestPort: 22 }]),
    ]);
    const closed = await rejection(service.openTerminal({ kind: 'ssh', id: 'closed', user: 'root' }));
    expect(closed.code).toBe('INVALID_STATE');
    expect(closed.message).toMatch(/^VM 'closed' forwards no host port to its SSH port \(guest tcp\/22\)/);
    const off = await rejection(service.openTerminal({ kind: 'ssh', id: 'off', user: 'root' }));
    expect(off).toMatchObject({ code: 'INVALID_STATE', message: "VM 'off' is not running" });
  });

  it('passes on NOT_FOUND for an unknown VM', async () => {
    const { service } = setup([]);
    expect((await rejection(service.open('ghost', 'serial'))).code).toBe('NOT_FOUND');
  });

  it('forgets every token on close', async () => {
    const { service } = setup([vm('alpha', 'running')]);
    const token = tokenOf(await service.open('alpha', 'serial'));
    service.close();
    expect(service.redeem(token)).toBeUndefined();
  });
});
