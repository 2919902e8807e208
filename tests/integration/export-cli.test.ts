// `tessera vm export` and `tessera vm import` as a user runs them (issue 13), on a simulated ADL-P.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
beforeAll(() => {
  home = makeTempHome('tessera-export-cli-');
});
afterAll(() => home.cleanup());

const cli = (args: string[], input?: string) => runCli([...args, '--simulate', 'adl-p'], home.env, input);
const LINE =
  'qemu-system-x86_64 -enable-kvm -m 2G -smp 2 -device vfio-pci,host=00:02.1 -vnc :1 -frobnicate on';

describe('tessera vm import / export', () => {
  it('--dry-run prints the VM and the report and creates nothing', async () => {
    const out = await cli(['vm', 'import', '--qemu-cmdline', LINE, '--name', 'imp', '--dry-run']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain("VM 'imp': 2 vCPU, 2048 MiB");
    expect(out.stdout).toMatch(/dropped\s+-frobnicate on/);
    expect((await cli(['vm', 'list', '--json'])).stdout).not.toContain('"imp"');
  });

  it('without --yes and no terminal it creates nothing and says how', async () => {
    const out = await cli(['vm', 'import', '--qemu-cmdline', LINE, '--name', 'imp']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/say --yes/);
  });

  it('--yes creates it; export writes its libvirt domain, and importing that gives the same VM back', async () => {
    const created = await cli(['vm', 'import', '--qemu-cmdline', LINE, '--name', 'imp', '--yes']);
    expect(created.code, created.stderr).toBe(0);
    const file = path.join(home.root, 'imp.xml');
    const exported = await cli(['vm', 'export', 'imp', '--format', 'libvirt', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain(
      "<address domain='0x0000' bus='0x00' slot='0x02' function='0x1'/>",
    );
    const back = await cli(['vm', 'import', '--libvirt', file, '--dry-run', '--json']);
    const shown = JSON.parse((await cli(['vm', 'show', 'imp', '--json'])).stdout) as {
      spec: Record<string, unknown>;
    };
    const { spec } = JSON.parse(back.stdout) as { spec: Record<string, unknown> };
    delete shown.spec['uuid'];
    delete shown.spec['createdAt'];
    expect(spec).toEqual(shown.spec);
  });

  it('refuses --all for one-VM formats and a missing format, saying what to do', async () => {
    expect((await cli(['vm', 'export', '--all', '--format', 'libvirt'])).stderr).toMatch(/--format kubevirt/);
    expect((await cli(['vm', 'export', 'imp'])).stderr).toMatch(/--format is script, libvirt or kubevirt/);
    const all = await cli(['vm', 'export', '--all', '--format', 'kubevirt', '--with-cluster-config']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('kind: KubeVirt');
  });
});
