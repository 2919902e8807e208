import { createStore, type StoreApi } from 'zustand';
import {
  KIOSK_DEFAULTS,
  type DisplayServer,
  type KioskMode,
  type KioskSettings,
  type KioskStatus,
  type Monitor,
} from '../../../shared/kiosk';
import type { Connection } from '../transport/connect';
import { failureOf, messageOf, type FieldIssue } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

export interface KioskStoreState {
  server: DisplayServer | null;
  monitors: Monitor[];
  settings: KioskSettings;
  status: KioskStatus | null;
  loading: boolean;
  /** Why the last read failed. */
  error: string | null;
  /** A refused assignment, by monitor: the issues go next to that monitor's fields. */
  refusals: Record<string, { message: string; issues: FieldIssue[] }>;
  /** Start or stop refused or failed. */
  actionError: string | null;
  busy: 'start' | 'stop' | null;
  refresh(): Promise<void>;
  assign(monitor: string, vm: string, mode: KioskMode): Promise<void>;
  unassign(monitor: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The Kiosk page's state: the X server's monitors, the assignments and the watchdog's status. */
export function createKioskStore(connection: Connection): StoreApi<KioskStoreState> {
  const store = createStore<KioskStoreState>()((set) => {
    const withoutRefusal = (monitor: string) => (s: KioskStoreState) => ({
      refusals: Object.fromEntries(Object.entries(s.refusals).filter(([name]) => name !== monitor)),
    });
    const change = async (monitor: string, call: () => Promise<KioskSettings>) => {
      try {
        const settings = await call();
        set((s) => ({ settings, ...withoutRefusal(monitor)(s) }));
      } catch (error) {
        const failure = failureOf(error);
        set((s) => ({
          refusals: { ...s.refusals, [monitor]: { message: failure.message, issues: failure.issues } },
        }));
      }
    };
    const action = async (which: 'start' | 'stop', call: () => Promise<KioskStatus>) => {
      set({ busy: which, actionError: null });
      try {
        set({ status: await call(), busy: null });
      } catch (error) {
        set({ actionError: messageOf(error), busy: null });
      }
    };
    return {
      server: null,
      monitors: [],
      settings: KIOSK_DEFAULTS,
      status: null,
      loading: false,
      error: null,
      refusals: {},
      actionError: null,
      busy: null,
      async refresh() {
        set({ loading: true });
        const [monitors, settings, status] = await Promise.allSettled([
          connection.call('kiosk.monitors', {}),
          connection.call('kiosk.get', {}),
          connection.call('kiosk.status', {}),
        ]);
        const failures = [monitors, settings, status].flatMap((r) =>
          r.status === 'rejected' ? [messageOf(r.reason)] : [],
        );
        set((s) => ({
          server: monitors.status === 'fulfilled' ? monitors.value.server : s.server,
          monitors: monitors.status === 'fulfilled' ? monitors.value.monitors : s.monitors,
          settings: settings.status === 'fulfilled' ? settings.value : s.settings,
          status: status.status === 'fulfilled' ? status.value : s.status,
          loading: false,
          error: failures.length > 0 ? failures.join('; ') : null,
        }));
      },
      assign: (monitor, vm, mode) =>
        change(monitor, () => connection.call('kiosk.assign', { monitor, vm, mode })),
      unassign: (monitor) => change(monitor, () => connection.call('kiosk.unassign', { monitor })),
      start: () => action('start', () => connection.call('kiosk.start', { waitSeconds: 0 })),
      stop: () => action('stop', () => connection.call('kiosk.stop', { stopVms: false })),
    };
  });
  connection.on('kiosk.changed', ({ status }) => store.setState({ status }));
  connection.on('settings.changed', ({ settings }) => store.setState({ settings: settings.kiosk }));
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
}
