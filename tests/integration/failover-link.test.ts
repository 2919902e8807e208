import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendLink } from '../../src/main/server/backend-link';
import { openBackendLink } from '../../src/main/server/backend-link';
import { openFailoverLink } from '../../src/main/server/failover-link';
import { makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
const links: BackendLink[] = [];

beforeAll(() => {
  home = makeTempHome();
});

afterAll(async () => {
  await Promise.all(links.map((l) => l.close().catch(() => undefined)));
  home.cleanup();
});

describe('a front outlives the process that owned the backend', () => {
  it('takes over the backend when its owner quits, and tells listeners the state again', async () => {
    const options = { paths: home.paths, accelerator: 'tcg' as const };
    const owner = await openBackendLink(options);
    links.push(owner);
    expect(owner.owner).toBe(true);

    const front = await openFailoverLink(options);
    links.push(front);
    expect(front.owner).toBe(false);
    const created = await front.dispatcher.dispatch('vm.create', { name: 'survivor', memoryMiB: 128 });
    expect(created.ok).toBe(true);

    const seen: string[] = [];
    front.events.subscribe((name, payload) => {
      if (name === 'vm.changed') seen.push((payload as { vm: { id: string } }).vm.id);
    });
    await owner.close();

    // The first call after the owner left waits for the hand-over, then answers.
    const list = await front.dispatcher.dispatch('vm.list', {});
    expect(list).toMatchObject({ ok: true, value: { vms: [expect.objectContaining({ id: 'survivor' })] } });
    expect(front.owner).toBe(true);
    expect(fs.existsSync(path.join(home.paths.runtimeDir, '.control.sock'))).toBe(true);
    await expect.poll(() => seen).toContain('survivor');

    // A later front finds the new owner.
    const later = await openBackendLink({ ...options, connectOnly: true });
    links.push(later);
    const info = await later.dispatcher.dispatch('host.info', {});
    expect(info).toMatchObject({ ok: true, value: { backendPid: process.pid } });
  });
});
