import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../fsutil/package-root';
import { HELPER_LAUNCHER, createHelperClient } from './helper-client';

const PLAN = { version: 1 as const, steps: [{ op: 'set-vf-count' as const, pf: '0000:00:02.0', count: 1 }] };
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-helperclient-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in for pkexec: a script that answers like it would. */
function fakePkexec(body: string): string {
  const file = path.join(dir, `pkexec-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('the helper client on this machine (/)', () => {
  const launcher = () => {
    const file = path.join(dir, 'tessera-helper');
    fs.writeFileSync(file, '');
    return file;
  };

  it('runs pkexec with the fixed launcher, the plan on stdin and nothing else on argv', async () => {
    const args = path.join(dir, 'args');
    const pkexec = fakePkexec(
      `echo "$@" > ${args}; cat > ${args}.stdin; echo '{"ok":true,"applied":[{"step":0,"op":"set-vf-count","writes":[]}]}'`,
    );
    const client = createHelperClient({ hostRoot: '/', launcher: launcher(), pkexec });
    expect(client.how).toBe('pkexec');
    expect(await client.run(PLAN)).toEqual({
      ok: true,
      applied: [{ step: 0, op: 'set-vf-count', writes: [] }],
    });
    expect(fs.readFileSync(args, 'utf8').trim()).toBe(path.join(dir, 'tessera-helper'));
    expect(JSON.parse(fs.readFileSync(`${args}.stdin`, 'utf8'))).toEqual(PLAN);
  });

  // pkexec's words as polkit 122 prints them (tests/integration/real-polkit.test.ts sees the real ones).
  it.each([
    [126, 'Not authorized', 'the password prompt was dismissed: nothing was changed'],
    [
      127,
      'Error executing command as another user: Not authorized',
      'polkit says this user is not authorised to change the GPU (action org.tessera.helper): nothing was changed',
    ],
    [
      127,
      'Error executing command as another user: No authentication agent found.',
      "no authentication agent is running to ask for an administrator's password, so polkit could not ask: nothing was changed",
    ],
    [
      127,
      'Error creating textual authentication agent: Error opening current controlling terminal for the process (/dev/tty): No such device or address',
      "no authentication agent is running to ask for an administrator's password, so polkit could not ask: nothing was changed",
    ],
    [127, 'Cannot run program', 'polkit refused to run the helper: nothing was changed (Cannot run program)'],
  ])('says what pkexec exit %d with "%s" means', async (code, said, message) => {
    const client = createHelperClient({
      hostRoot: '/',
      launcher: launcher(),
      pkexec: fakePkexec(
        `cat > /dev/null; echo '${said}' >&2; echo >&2; echo 'This incident has been reported.' >&2; exit ${code}`,
      ),
    });
    await expect(client.run(PLAN)).rejects.toThrow(message);
  });

  it('says when the package did not install the helper', () => {
    const client = createHelperClient({ hostRoot: '/', launcher: path.join(dir, 'missing') });
    expect(() => client.run(PLAN)).toThrow(
      /the privileged helper is not installed at .*missing: install Tessera's \.deb/,
    );
  });
});

describe('packaging', () => {
  const root = packageRoot();
  const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

  it('the polkit action runs the launcher at the path the backend calls, asking admins to authenticate', () => {
    const policy = read('build/polkit/org.tessera.helper.policy');
    expect(policy).toContain(
      `<annotate key="org.freedesktop.policykit.exec.path">${HELPER_LAUNCHER}</annotate>`,
    );
    expect(policy).toContain('<allow_active>auth_admin_keep</allow_active>');
    expect(policy).toContain('<allow_inactive>auth_admin</allow_inactive>');
    expect(policy).toContain('<allow_any>auth_admin</allow_any>');
  });

  it('the .deb installs the launcher, the helper it runs, and the action', () => {
    const builder = read('electron-builder.yml');
    expect(builder).toContain(`build/tessera-helper=${HELPER_LAUNCHER}`);
    expect(builder).toContain(
      'build/polkit/org.tessera.helper.policy=/usr/share/polkit-1/actions/org.tessera.helper.policy',
    );
    const helper = builder.match(/out\/helper\/index\.js=(\S+)/)?.[1];
    expect(read('build/tessera-helper')).toContain(`exec /usr/bin/node ${helper}\n`);
    expect(fs.statSync(path.join(root, 'build/tessera-helper')).mode & 0o111).toBe(0o111);
  });
});
