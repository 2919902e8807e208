import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import { VmSpec, type VmInfo, type VmState } from '../../shared/vm-spec';
import { vmRuntimeFiles, type TesseraPaths } from '../paths';
import type { VmService } from '../vm/vm-service';
import { CONSOLE_TOKEN_TTL_MS, ConsoleService } from './console-service';

const paths: TesseraPaths = {
  configDir: '/nonexistent/config',
  runtimeDir: '/nonexistent/run/tessera',
  dataDir: '/nonexistent/data',
};

function vm(id: string, state: VmState, display: 'vnc' | 'none' = 'vnc'): VmInfo {
  return {
    id,
    spec: VmSpec.parse({
      name: id,
      uuid: '0b5f3c1e-6a2d-4c8e-9f47-3d21a8b6e5c0',
      createdAt: '2025-01-02T03:04:05.000Z',
      display,
    }),
    state,
    since: '2025-01-02T03:04:05.000Z',
    restarts: 0,
  };
}

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
  const service = new ConsoleService(paths, vms as unknown as VmService, () => clock.now);
  return { service, clock };
}

/** The token inside the bridge path the call hands out. */
function tokenOf(result: { token: string; path: string }): string {
  expect(result.path).toBe(`/console/${result.token}`);
  return result.token;
}

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraError);
  return error as TesseraError;
}

describe('ConsoleService', () => {
  it('hands out a token that works exactly once', async () => {
    const { service } = setup([vm('alpha', 'running')]);
    const token = tokenOf(await service.open('alpha', 'serial'));
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(service.redeem(token)).toEqual({
      id: 'alpha',
      kind: 'serial',
      socketPath: vmRuntimeFiles(paths.runtimeDir, 'alpha').serial,
      expires: expect.any(Number) as number,
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
    expect(grantA?.socketPath.startsWith(path.join(paths.runtimeDir, 'alpha') + path.sep)).toBe(true);
    expect(service.redeem(bSerial)).toMatchObject({
      id: 'beta',
      kind: 'serial',
      socketPath: betaFiles.serial,
    });
  });

  it('refuses to open a console of a VM that is not running', async () => {
    const { service } = setup([vm('off', 'stopped'), vm('dead', 'crashed')]);
    for (const id of ['off', 'dead']) {
      for (const kind of ['serial', 'vnc'] as const) {
        const error = await rejection(service.open(id, kind));
        expect(error.code).toBe('INVALID_STATE');
        expect(error.message).toContain(`'${id}'`);
      }
    }
  });

  it("refuses a VNC console of a VM whose display is 'none', but gives its serial", async () => {
    const { service } = setup([vm('headless', 'running', 'none')]);
    const error = await rejection(service.open('headless', 'vnc'));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain("display is 'none'");
    const token = tokenOf(await service.open('headless', 'serial'));
    expect(service.redeem(token)?.kind).toBe('serial');
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
