// CLI options no other test passed (src/main/cli/option-coverage.test.ts finds them): each run as a
// user would, on a simulated ADL-P, checking what the option changes or how a bad value is refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
beforeAll(() => {
  home = makeTempHome('tessera-cli-options-');
});
afterAll(() => home.cleanup());

const cli = (args: string[]) => runCli([...args, '--simulate', 'adl-p'], home.env);

describe('options of vm import and vm export', () => {
  it('--qemu-cmdline-file reads the command line from a file', async () => {
    const file = path.join(home.root, 'cmdline.txt');
    fs.writeFileSync(file, 'qemu-system-x86_64 -m 2G -smp 2 -vnc :1\n');
    const out = await cli(['vm', 'import', '--qemu-cmdline-file', file, '--name', 'fromfile', '--dry-run']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain("VM 'fromfile': 2 vCPU, 2048 MiB");
  });

  it('--sudo makes the script write sysfs through sudo', async () => {
    const disk = path.join(home.root, 'disk.img');
    fs.writeFileSync(disk, Buffer.alloc(1024 * 1024));
    expect((await cli(['vm', 'create', 'exp', '--disk', disk])).code).toBe(0);
    const plain = await cli(['vm', 'export', 'exp', '--format', 'script']);
    const sudo = await cli(['vm', 'export', 'exp', '--format', 'script', '--sudo']);
    expect(sudo.code, sudo.stderr).toBe(0);
    expect(plain.stdout).toContain('export with --sudo to have them use sudo');
    expect(sudo.stdout).toContain('The GPU steps write to sysfs through sudo.');
  });

  it('--disk-source picks the KubeVirt volume of each disk, and refuses what it does not know', async () => {
    const dataVolume = await cli([
      'vm',
      'export',
      'exp',
      '--format',
      'kubevirt',
      '--disk-source',
      'datavolume',
    ]);
    expect(dataVolume.code, dataVolume.stderr).toBe(0);
    expect(dataVolume.stdout).toContain('dataVolume:');
    expect(dataVolume.stdout).not.toContain('persistentVolumeClaim:');
    const bad = await cli(['vm', 'export', 'exp', '--format', 'kubevirt', '--disk-source', 'nfs']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--disk-source is pvc, datavolume or containerdisk');
  });
});

describe('options refused before anything starts', () => {
  it('serve --port outside 0 to 65535', async () => {
    const out = await cli(['serve', '--port', '70000']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--port 70000: expected 0 to 65535');
  });

  it('kiosk start --wait beyond ten minutes', async () => {
    const out = await cli(['kiosk', 'start', '--wait', '601']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--wait 601: expected 0 to 600 seconds');
  });

  it('vm golden --ready-text is taken, and the missing image named', async () => {
    const out = await cli(['vm', 'golden', 'exp', '--image', 'no-such-image', '--ready-text', 'login:']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('no-such-image');
    expect(out.stderr).not.toMatch(/unknown option/i);
  });
});
