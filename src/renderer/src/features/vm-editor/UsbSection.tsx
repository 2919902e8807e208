import { describeUsbDevice, selectorMatches, type UsbDevice } from '../../../../shared/usb';
import { VM_LIMITS } from '../../../../shared/vm-spec';
import { Field, inputProps } from './Field';
import { RowList, withRow } from './RowList';
import type { SectionProps } from './section-props';

interface UsbSectionProps extends SectionProps {
  /** The host's USB devices now; null until known. */
  devices: UsbDevice[] | null;
  /** The VM being edited (null for a new one), so its own devices are not shown as taken. */
  self: string | null;
  simulated: boolean;
  hostError: string | null;
}

/** What is in that port, or has those ids, now; and which other VM owns it. */
function describeNow(selector: string, devices: UsbDevice[] | null, self: string | null): string | undefined {
  if (devices === null || selector.trim() === '') return undefined;
  const found = devices.filter((d) => selectorMatches(selector.trim(), d));
  if (found.length === 0) return 'Nothing like it is plugged in now: QEMU attaches it when it appears.';
  return found
    .map((d) => {
      const others = d.assignedTo.filter((vm) => vm !== self);
      const owner = others.length > 0 ? `, owned by VM ${others.join(', ')}` : '';
      return `Now: ${describeUsbDevice(d)} (${d.vendorId}:${d.productId} at ${d.portPath})${owner}`;
    })
    .join('; ');
}

/** Host USB devices and evdev input devices the VM owns while it runs (issue 17). */
export function UsbSection(props: UsbSectionProps) {
  const { form, errorOf, change, disabled, devices, self } = props;
  const offered = (devices ?? []).filter((d) => !d.hub);
  const setUsb = (index: number, value: string) => change({ usb: withRow(form.usb, index, () => value) });
  const setEvdev = (index: number, value: string) =>
    change({ evdev: withRow(form.evdev, index, () => value) });
  return (
    <fieldset className="form-section" disabled={disabled} data-testid="usb-section">
      <legend>USB and input</legend>
      <p className="hint">
        A kiosk seat owns its devices by the port they are plugged into (3-1.4), which stays the same across
        re-plugs; a device that moves between ports is named by vendor:product[:serial]. No two VMs own one
        device.
      </p>
      {props.simulated && (
        <p className="notice notice-info" data-testid="usb-simulated">
          Simulated host: these devices exist only in its tree, so no guest ever sees one.
        </p>
      )}
      {props.hostError !== null && <p className="notice notice-warning">{props.hostError}</p>}
      <datalist id="usb-device-choices">
        {offered.flatMap((d) => [
          <option key={d.portPath} value={d.portPath}>
            {`${describeUsbDevice(d)} in port ${d.portPath}`}
          </option>,
          <option key={`${d.portPath}-id`} value={`${d.vendorId}:${d.productId}`}>
            {`${describeUsbDevice(d)} wherever it is plugged`}
          </option>,
        ])}
      </datalist>
      <RowList
        rows={form.usb}
        testId="usb"
        noun="USB device"
        onChange={(usb) => change({ usb })}
        add={{ label: 'Add a USB device', testId: 'add-usb', limit: VM_LIMITS.usbMax, row: () => '' }}
        renderRow={(selector, index) => {
          const key = `usb.${index}`;
          const error = errorOf(key);
          const now = describeNow(selector, devices, self);
          return (
            <Field
              fieldKey={key}
              label="USB device (port path or vendor:product[:serial])"
              error={error}
              {...(now !== undefined ? { hint: now } : {})}
              className="field-wide"
            >
              <input
                type="text"
                list="usb-device-choices"
                spellCheck={false}
                placeholder="3-1.4 or 046d:c52b"
                value={selector}
                onChange={(e) => setUsb(index, e.target.value)}
                {...inputProps(key, error, now !== undefined)}
              />
            </Field>
          );
        }}
      >
        <span className="hint">
          The Host page and <code>tessera usb list</code> show the host’s devices.
        </span>
      </RowList>
      <RowList
        rows={form.evdev}
        testId="evdev"
        noun="input device"
        onChange={(evdev) => change({ evdev })}
        add={{
          label: 'Add a keyboard or mouse (evdev)',
          testId: 'add-evdev',
          limit: VM_LIMITS.evdevMax,
          row: () => '/dev/input/by-id/',
        }}
        renderRow={(node, index) => {
          const key = `evdev.${index}`;
          const error = errorOf(key);
          return (
            <Field
              fieldKey={key}
              label="Input device (evdev)"
              error={error}
              hint="The VM takes it whole while it runs; both Ctrl keys hand it back and forth."
              className="field-wide"
            >
              <input
                type="text"
                spellCheck={false}
                placeholder="/dev/input/by-id/usb-…-event-kbd"
                value={node}
                onChange={(e) => setEvdev(index, e.target.value)}
                {...inputProps(key, error, true)}
              />
            </Field>
          );
        }}
      />
    </fieldset>
  );
}
