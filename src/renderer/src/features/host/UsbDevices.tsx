import { useEffect } from 'react';
import { UnreadableList } from '../../components/UnreadableList';
import { describeUsbDevice } from '../../../../shared/usb';
import { useHostStore } from '../../stores/context';

/** The host's USB devices by port, a hub's devices under it, with who owns and who has each. */
export function UsbDevices() {
  const usb = useHostStore((s) => s.usb);
  const error = useHostStore((s) => s.usbError);
  const load = useHostStore((s) => s.loadUsb);
  useEffect(() => void load(), [load]);
  return (
    <section aria-labelledby="usb-title" className="usb-devices" data-testid="usb-devices">
      <h2 id="usb-title">USB devices</h2>
      {error !== null && <p className="notice notice-error">Could not read the USB devices: {error}</p>}
      {usb === null ? (
        error === null && <p className="muted">Reading the USB devices…</p>
      ) : usb.devices.length === 0 ? (
        <p className="muted">No USB devices besides the controllers’ own root hubs.</p>
      ) : (
        <>
          {usb.simulated && (
            <p className="muted">
              These devices exist only in the simulated host’s tree; no guest ever sees one.
            </p>
          )}
          <table className="usb-table">
            <thead>
              <tr>
                <th>Port</th>
                <th>ID</th>
                <th>Device</th>
                <th>Interfaces (driver)</th>
                <th>VM</th>
              </tr>
            </thead>
            <tbody>
              {usb.devices.map((d) => (
                <tr key={d.portPath} data-testid={`usb-${d.portPath}`}>
                  <td style={{ paddingLeft: `${0.5 + (d.portPath.split('.').length - 1) * 1.25}em` }}>
                    <code>{d.portPath}</code>
                  </td>
                  <td>
                    <code>
                      {d.vendorId}:{d.productId}
                    </code>
                  </td>
                  <td>
                    {d.hub ? 'Hub: ' : ''}
                    {describeUsbDevice(d)}
                    {d.serial !== null && <span className="muted"> (serial {d.serial})</span>}
                  </td>
                  <td>{d.interfaces.map((i) => `${i.interfaceClass} (${i.driver ?? 'none'})`).join(', ')}</td>
                  <td>
                    {d.heldBy !== null ? (
                      <strong>{d.heldBy} (running)</strong>
                    ) : (
                      d.assignedTo.join(', ') || '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <UnreadableList items={usb.unreadable} testId="usb-unreadable" />
        </>
      )}
    </section>
  );
}
