import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findQemu } from '../../src/main/host/qemu-binary';
import { requireBuiltRenderer, SCREENSHOT_DIR, screenshotWholePage } from '../support/browser';
import { runCli } from '../support/cli-process';
import { makeTempHome, TINY_GUEST_DIR, type TempHome } from '../support/temp-home';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import {
  closeUiSession,
  createTinyVm,
  openUiSession,
  screenshotOnFailure,
  type UiSession,
} from './ui-session';

/**
 * What the gallery says when KVM is refused, on any machine: a QEMU whose KVM never runs the
 * guest (it hangs under accel=kvm, as a cloud VM's KVM without vmx does) and is real QEMU under TCG.
 */

let home: TempHome;
let guest: TinyGuest;
let session: Partial<UiSession> = {};

beforeAll(async () => {
  requireBuiltRenderer();
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-accel-ui-', { ownAccelerator: true });
  const qemu = path.join(home.root, 'qemu-system-x86_64');
  const real = findQemu({ env: process.env }).path;
  fs.writeFileSync(qemu, `#!/bin/sh\ncase "$*" in *accel=kvm*) exec sleep 600 ;; esac\nexec ${real} "$@"\n`, {
    mode: 0o755,
  });
  // Its own cache: the probe's answer for this QEMU concerns this test only.
  home.env.XDG_CACHE_HOME = path.join(home.root, 'cache');
  home.env.TESSERA_QEMU = qemu;
  home.env.TESSERA_SIGN_OF_LIFE_SECONDS = '3';
  session = await openUiSession(home);
});

afterEach((context) => screenshotOnFailure(session, 'accelerator', context.task));

afterAll(async () => {
  await closeUiSession(session, home);
});

describe('when KVM is refused', () => {
  it('the gallery says why guests run in software, and a silent guest’s card says what is likely wrong', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    const notice = page.getByTestId('accelerator-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('(TCG)');
    await createTinyVm(home, guest, 'silent', { append: 'quiet', extra: ['--gpu', 'none'] });
    expect(await runCli(['vm', 'start', 'silent'], home.env)).toMatchObject({ code: 0 });
    await page.getByTestId('vm-silent-warning').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('vm-silent-warning').textContent()).toMatch(
      /^No sign of life from the guest after 3 s \(no serial output, and it has no screen\)/,
    );
    expect(await page.getByTestId('vm-silent-accelerator').textContent()).toMatch(/\(TCG\)/);
    await screenshotWholePage(page, path.join(SCREENSHOT_DIR, 'accelerator-notice.png'));
    await runCli(['vm', 'kill', 'silent'], home.env);
  });
});
