/**
 * The helper's `grant-usb` verb against the simulated Alder Lake-P tree (its USB devices: a hub
 * with a touch panel at 3-1.1, address 5, and more): a device node goes to the caller and back
 * to root, and anything that is not a USB device's own node in /dev/bus/usb (hubs, root hubs,
 * links out of the directory or to another node, directories, another user's node, hostile
 * numbers) is refused with nothing changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { HelperResult } from '../../src/shared/helper-plan';
import { changedPaths, helperHost, snapshotTree, type HelperHost } from '../support/helper-host';

const CALLER = 1000;
const TOUCH = { bus: 3, address: 5 }; // 3-1.1
const TOUCH_NODE = '/dev/bus/usb/003/005';

let hosts: HelperHost[] = [];
afterEach(() => {
  for (const h of hosts) h.cleanup();
  hosts = [];
});
function host(): HelperHost {
  const h = helperHost('adl-p');
  hosts.push(h);
  return h;
}
const uidOf = (h: HelperHost, hostPath: string) => fs.lstatSync(h.at(hostPath)).uid;
const treeOwner = (h: HelperHost) => fs.statSync(h.dir).uid;

function refusedWithNothingChanged(h: HelperHost, steps: unknown[], uid = CALLER) {
  const before = snapshotTree(h.dir);
  const result = h.run(steps, { uid });
  expect(result.ok).toBe(false);
  expect(changedPaths(before, snapshotTree(h.dir))).toEqual([]);
  return result as Extract<HelperResult, { ok: false }>;
}

describe('grant-usb', () => {
  it("gives a device's node to the caller and back to root, changing only that node", () => {
    const h = host();
    const before = snapshotTree(h.dir);
    const given = h.run([{ op: 'grant-usb', ...TOUCH, to: 'caller' }], { uid: CALLER });
    expect(given).toEqual({
      ok: true,
      applied: [{ step: 0, op: 'grant-usb', writes: [{ path: TOUCH_NODE, value: `owner uid ${CALLER}` }] }],
    });
    expect(uidOf(h, TOUCH_NODE)).toBe(CALLER);
    expect(changedPaths(before, snapshotTree(h.dir))).toEqual([TOUCH_NODE.slice(1)]);
    // A second grant finds it given already and changes nothing.
    expect(h.run([{ op: 'grant-usb', ...TOUCH, to: 'caller' }], { uid: CALLER })).toEqual({
      ok: true,
      applied: [{ step: 0, op: 'grant-usb', writes: [] }],
    });
    const back = h.run([{ op: 'grant-usb', ...TOUCH, to: 'root' }], { uid: CALLER });
    expect(back.ok).toBe(true);
    // In a simulated tree its owner stands for root.
    expect(uidOf(h, TOUCH_NODE)).toBe(treeOwner(h));
    expect(changedPaths(before, snapshotTree(h.dir))).toEqual([]);
  });

  it('refuses hubs, root hubs and addresses with no device', () => {
    const h = host();
    expect(
      refusedWithNothingChanged(h, [{ op: 'grant-usb', bus: 3, address: 2, to: 'caller' }]).error,
    ).toMatchObject({
      code: 'BAD_TARGET',
      message: '/dev/bus/usb/003/002 is a hub: a VM is given the devices behind it, never the hub',
    });
    expect(
      refusedWithNothingChanged(h, [{ op: 'grant-usb', bus: 3, address: 1, to: 'caller' }]).error.message,
    ).toBe('there is no USB device at address 1 on bus 3');
    expect(
      refusedWithNothingChanged(h, [{ op: 'grant-usb', bus: 4, address: 5, to: 'caller' }]).error.code,
    ).toBe('BAD_TARGET');
  });

  it('refuses a node that is a link (out of /dev/bus/usb, or to another device), a directory, or missing', () => {
    const h = host();
    const node = h.at(TOUCH_NODE);
    const outside = path.join(path.dirname(h.dir), 'not-a-node');
    fs.writeFileSync(outside, 'x');
    for (const target of [outside, '/etc/passwd', '../../../../proc/cmdline', '006']) {
      fs.rmSync(node, { force: true });
      fs.symlinkSync(target, node);
      const result = refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'caller' }]);
      expect(result.error, target).toMatchObject({
        code: 'BAD_TARGET',
        message: `${TOUCH_NODE} is missing or leads out of /dev/bus/usb`,
      });
    }
    fs.rmSync(node, { force: true });
    fs.mkdirSync(node);
    expect(refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'caller' }]).error.message).toBe(
      `${TOUCH_NODE} is not a USB device node`,
    );
    fs.rmSync(node, { recursive: true });
    expect(refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'caller' }]).error.message).toMatch(
      /is missing or leads out of/,
    );
  });

  it('refuses a device whose sysfs link leads out of /sys/devices', () => {
    const h = host();
    const link = h.at('/sys/bus/usb/devices/3-1.1');
    fs.rmSync(link);
    const fake = h.at('/tmp/fake-usb');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, 'busnum'), '3\n');
    fs.writeFileSync(path.join(fake, 'devnum'), '5\n');
    fs.symlinkSync('../../../../tmp/fake-usb', link);
    expect(refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'caller' }]).error.message).toBe(
      'there is no USB device at address 5 on bus 3',
    );
  });

  it("never takes another user's node, nor gives back one that is not the caller's", () => {
    const h = host();
    fs.chownSync(h.at(TOUCH_NODE), 2000, -1);
    expect(refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'caller' }]).error).toMatchObject({
      code: 'IN_USE',
      message: `${TOUCH_NODE} belongs to uid 2000 (another user's VM has it)`,
    });
    expect(refusedWithNothingChanged(h, [{ op: 'grant-usb', ...TOUCH, to: 'root' }]).error.code).toBe(
      'BAD_TARGET',
    );
  });

  it('refuses a plan that names one node twice', () => {
    const h = host();
    const result = refusedWithNothingChanged(h, [
      { op: 'grant-usb', ...TOUCH, to: 'caller' },
      { op: 'grant-usb', ...TOUCH, to: 'root' },
    ]);
    expect(result.error.code).toBe('BAD_PLAN');
  });

  it('changes nothing but USB device nodes, whatever numbers and fields arrive', () => {
    const h = host();
    const evil = fc.oneof(
      fc.integer({ min: -5, max: 300 }),
      fc.constantFrom(0.5, 2 ** 53, -0, '5', '../005', null),
    );
    fc.assert(
      fc.property(
        fc.record({
          op: fc.constant('grant-usb'),
          bus: evil,
          address: evil,
          to: fc.constantFrom('caller', 'root', 'other', '../'),
        }),
        fc.option(fc.constantFrom({ node: '/etc/shadow' }, { path: '../../x' }), { nil: undefined }),
        (step, extra) => {
          const before = snapshotTree(h.dir);
          const result = h.run([{ ...step, ...extra }], { uid: CALLER });
          const changed = changedPaths(before, snapshotTree(h.dir));
          expect(changed.every((p) => /^dev\/bus\/usb\/\d{3}\/\d{3}$/.test(p))).toBe(true);
          if (!result.ok) expect(changed).toEqual([]);
          // Put any grant back, so every run starts from the tree as built.
          if (result.ok)
            h.run([{ op: 'grant-usb', bus: step.bus, address: step.address, to: 'root' }], { uid: CALLER });
        },
      ),
      { numRuns: 100 },
    );
  });
});
