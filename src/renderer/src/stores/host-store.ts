import { createStore, type StoreApi } from 'zustand';
import type { CallOutput } from '../../../shared/contract';
import type { DrmConnector } from '../../../shared/host-displays';
import type { DoctorReport } from '../../../shared/host-report';
import type { QemuCapabilities } from '../../../shared/qemu-capabilities';
import type { UsbInventory } from '../../../shared/usb';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { coalesced } from './coalesced';
import { refreshOnConnect } from './refresh-on-connect';

export type HostInfo = CallOutput<'host.info'>;

export interface HostStoreState {
  /** What the backend runs on and which host it reads (`info.host`); null until host.info answers. */
  info: HostInfo | null;
  /** The doctor's report; null until the first answer, so no check is ever shown as a guess. */
  report: DoctorReport | null;
  loading: boolean;
  error: string | null;
  refresh(): Promise<void>;
  /** The host's monitors and what its QEMU can do, for the editor's display field; null until known. */
  monitors: DrmConnector[] | null;
  qemu: QemuCapabilities | null;
  /** Why they could not be had (no QEMU), shown by the display field. */
  graphicsError: string | null;
  loadGraphics(): Promise<void>;
  /** The host's USB devices (usb.list), for the Host page and the editor's USB field; null until known. */
  usb: UsbInventory | null;
  usbError: string | null;
  loadUsb(): Promise<void>;
}

/** The host as the backend sees it: host.info (for the header and the editor) and the doctor's checks. */
export function createHostStore(connection: Connection): StoreApi<HostStoreState> {
  const store = createStore<HostStoreState>()((set) => ({
    info: null,
    report: null,
    loading: false,
    error: null,
    monitors: null,
    qemu: null,
    graphicsError: null,
    usb: null,
    usbError: null,
    async loadUsb() {
      try {
        set({ usb: await connection.call('usb.list', {}), usbError: null });
      } catch (error) {
        set({ usbError: messageOf(error) });
      }
    },
    async loadGraphics() {
      const [monitors, qemu] = await Promise.allSettled([
        connection.call('host.monitors', {}),
        connection.call('host.qemuCapabilities', {}),
      ]);
      const failures = [monitors, qemu].flatMap((r) =>
        r.status === 'rejected' ? [messageOf(r.reason)] : [],
      );
      set((s) => ({
        monitors: monitors.status === 'fulfilled' ? monitors.value.connectors : s.monitors,
        qemu: qemu.status === 'fulfilled' ? qemu.value : s.qemu,
        graphicsError: failures.length > 0 ? failures.join('; ') : null,
      }));
    },
    async refresh() {
      set({ loading: true });
      // The header shows host.info as soon as it answers; the doctor takes longer.
      const [info, report] = await Promise.allSettled([
        connection.call('host.info', {}).then((value) => set({ info: value })),
        connection.call('host.doctor', {}),
      ]);
      const failures = [info, report].flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
      set((s) => ({
        report: report.status === 'fulfilled' ? report.value : s.report,
        loading: false,
        error: failures.length > 0 ? failures.join('; ') : null,
      }));
    },
  }));
  refreshOnConnect(connection, () => store.getState().refresh());
  // The doctor reads the GPU's state (VFs, bindings, /dev/vfio): a change from any front reads it again.
  const refreshChecks = coalesced(() => store.getState().refresh());
  connection.on('gpu.changed', () => void refreshChecks());
  return store;
}
