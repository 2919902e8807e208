import { describeUsbDevice, selectorMatches, type UsbDevice } from '../../../../shared/usb';
import { VM_LIMITS } from '../../../../shared/vm-spec';
import { Field, inputProps } from './Field';
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

function RemoveRow({ label, onClick }: { label: string; onClick(): void }) {
  return (
    <button type="button" className="button-ghost button-danger" aria-label={label} onClick={onClick}>
      Remove
    </button>
  );
}

/** Host USB devices and evdev input devices the VM owns while it runs (issue 17). */
export function UsbSection(props: UsbSectionProps) {
  const { form, errorOf, change, disabled, devices, self } = props;
  const offered = (devices ?? []).filter((d) => !d.hub);
  const setUsb = (index: number, value: string) =>
    change({ usb: form.usb.map((u, i) => (i === index ? value : u)) });
  const setEvdev = (index: number, value: string) =>
    change({ evdev: form.evdev.map((e, i) => (i === index ? value : e)) });
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
      <ol className="rows">
        {form.usb.map((selector, index) => {
          const key = `usb.${index}`;
          const error = errorOf(key);
          const now = describeNow(selector, devices, self);
          return (
            <li className="row" key={index} data-testid={`usb-row-${index}`}>
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
              <RemoveRow
                label={`Remove USB device ${index + 1}`}
                onClick={() => change({ usb: form.usb.filter((_, i) => i !== index) })}
              />
            </li>
          );
        })}
      </ol>
      <div className="row-actions">
        <button
          type="button"
          className="button-secondary"
          disabled={form.usb.length >= VM_LIMITS.usbMax}
          onClick={() => change({ usb: [...form.usb, ''] })}
          data-testid="add-usb"
        >
          Add a USB device
        </button>
        <span className="hint">
          The Host page and <code>tessera usb list</code> show the host’s devices.
        </span>
      </div>
      <ol className="rows">
        {form.evdev.map((node, index) => {
          const key = `evdev.${index}`;
          const error = errorOf(key);
          return (
            <li className="row" key={index} data-testid={`evdev-row-${index}`}>
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
              <RemoveRow
                label={`Remove input device ${index + 1}`}
                onClick={() => change({ evdev: form.evdev.filter((_, i) => i !== index) })}
              />
            </li>
          );
        })}
      </ol>
      <div className="row-actions">
        <button
          type="button"
          className="button-secondary"
          disabled={form.evdev.length >= VM_LIMITS.evdevMax}
          onClick={() => change({ evdev: [...form.evdev, '/dev/input/by-id/'] })}
          data-testid="add-evdev"
        >
          Add a keyboard or mouse (evdev)
        </button>
      </div>
    </fieldset>
  );
}
