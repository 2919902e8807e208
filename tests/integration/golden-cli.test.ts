// The golden-image CLI as a user types it (issue 11): every command of the list, their
// errors, and that the user's own file is never changed.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process';
import { makeGoldenSource, sha256 } from '../support/golden-source';
import { buildTinyGuest, tinyGuestCreateOptions, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
let guest: TinyGuest;
let source: string;
beforeAll(() => {
  guest = buildTinyGuest(TINY_GUEST_DIR, { virtioDisk: true });
  home = makeTempHome('tessera-golden-cli-');
  source = makeGoldenSource(home.root, 16);
});
afterAll(() => {
  killVms(home.paths);
  home.cleanup();
});

describe('tessera image / vm golden / booth', { timeout: 300_000 }, () => {
  it('registers, lists, verifies, binds, schedules, resets all and unbinds', async () => {
    const cli = (...args: string[]) => runCli(args, home.env);
    const userFile = sha256(source);
    const userMode = fs.statSync(source).mode;

    const added = await cli('image', 'add', source, '--name', 'demo');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added golden image demo\n.*v1 \(current\)/s);
    expect(sha256(source)).toBe(userFile);
    expect(fs.statSync(source).mode).toBe(userMode);
    expect((await cli('image', 'add', source, '--name', 'demo')).stderr).toMatch(/exists: pick another name/);

    const listed = await cli('image', 'list', '--json');
    const images = JSON.parse(listed.stdout).images;
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      name: 'demo',
      current: 1,
      versions: [{ sha256: userFile }],
      usedBy: [],
    });
    const verified = await cli('image', 'verify', 'demo');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('demo v1: ok');

    expect((await cli('vm', 'create', 'booth1', ...tinyGuestCreateOptions(guest, 128))).code).toBe(0);
    expect((await cli('vm', 'golden', 'booth1')).code).toBe(2);
    const bound = await cli('vm', 'golden', 'booth1', '--image', 'demo');
    expect(bound.code, bound.stderr).toBe(0);
    expect(bound.stdout).toContain("VM 'booth1' runs on golden image demo v1");

    const bad = await cli('vm', 'reset-schedule', 'booth1', 'hourly');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'hourly' is not a reset schedule: write off, on-stop, daily@HH:MM/);
    const daily = await cli('vm', 'reset-schedule', 'booth1', 'daily@03:00');
    expect(daily.stdout).toMatch(/reset schedule daily@03:00, next at /);
    expect((await cli('vm', 'reset-schedule', 'booth1', 'idle:2m')).stdout).toContain(
      'reset schedule idle:2m',
    );

    const all = await cli('booth', 'reset-all', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout).results).toMatchObject([{ id: 'booth1', mode: 'cold', restarted: false }]);
    const reset = await cli('vm', 'reset-to-golden', 'booth1', '--warm', '--yes');
    expect(reset.stdout).toMatch(/reset cold .*warm reset refused: the VM is not running/);

    const off = await cli('vm', 'golden', 'booth1', '--off');
    expect(off.code, off.stderr).toBe(0);
    const disk = /its disk is now (.*)\n/.exec(off.stdout)?.[1] ?? '';
    expect(fs.existsSync(disk)).toBe(true);
    const shown = await cli('vm', 'show', 'booth1', '--json');
    expect(JSON.parse(shown.stdout).spec.disks).toEqual([
      { path: disk, format: 'qcow2', readOnly: false, bus: 'virtio' },
    ]);
    expect((await cli('image', 'delete', 'demo')).code).toBe(0);
    expect(JSON.parse((await cli('image', 'list', '--json')).stdout).images).toEqual([]);
    expect(sha256(source)).toBe(userFile);
  });
});
