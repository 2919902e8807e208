import { useEffect, useState } from 'react';
import { describeUsbDevice, selectorMatches } from '../../../../shared/usb';
import type { VmInfo } from '../../../../shared/vm-spec';
import { useHostStore, useVmStore } from '../../stores/context';

/**
 * The running VM's USB devices in the console header: each one attached can be unplugged (and
 * plugged in again, as after a re-plug), and a host device no running VM has can be plugged in.
 */
export function UsbControl({ vm }: { vm: VmInfo }) {
  const usb = useHostStore((s) => s.usb);
  const loadUsb = useHostStore((s) => s.loadUsb);
  const attach = useVmStore((s) => s.usbAttach);
  const detach = useVmStore((s) => s.usbDetach);
  const busy = useVmStore((s) => s.busy[vm.id] === 'usb');
  const error = useVmStore((s) => (s.errors[vm.id]?.action === 'usb' ? s.errors[vm.id]?.message : undefined));
  const [choice, setChoice] = useState('');
  const attached = vm.usbAttached;
  useEffect(() => void loadUsb(), [loadUsb, attached]);
  if (attached === undefined) return null;
  const unplugged = vm.spec.usb.filter((s) => !attached.includes(s));
  const free = (usb?.devices ?? []).filter(
    (d) => !d.hub && d.heldBy === null && !attached.includes(d.portPath),
  );
  const nameOf = (selector: string) => {
    const device = usb?.devices.find((d) => selectorMatches(selector, d));
    return device ? `${selector} (${describeUsbDevice(device)})` : selector;
  };
  return (
    <div className="console-usb" role="group" aria-label="USB devices" data-testid="console-usb">
      {attached.map((selector) => (
        <button
          key={selector}
          type="button"
          className="button-ghost"
          disabled={busy}
          title="Unplug it from the VM; its node goes back to the host"
          onClick={() => void detach(vm.id, selector)}
          data-testid={`usb-detach-${selector}`}
        >
          ⏏ {nameOf(selector)}
        </button>
      ))}
      {unplugged.map((selector) => (
        <button
          key={selector}
          type="button"
          className="button-ghost"
          disabled={busy}
          onClick={() => void attach(vm.id, selector)}
          data-testid={`usb-attach-${selector}`}
        >
          Plug in {nameOf(selector)}
        </button>
      ))}
      {free.length > 0 && (
        <>
          <select
            aria-label="A host USB device to plug in"
            value={choice}
            disabled={busy}
            onChange={(e) => setChoice(e.target.value)}
            data-testid="usb-attach-choice"
          >
            <option value="">USB device…</option>
            {free.map((d) => (
              <option key={d.portPath} value={d.portPath}>
                {d.portPath} {describeUsbDevice(d)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button-secondary"
            disabled={busy || choice === ''}
            onClick={() => void attach(vm.id, choice).then(() => setChoice(''))}
            data-testid="usb-attach"
          >
            Plug in
          </button>
        </>
      )}
      {error !== undefined && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
