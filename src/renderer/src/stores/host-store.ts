import { createStore, type StoreApi } from 'zustand';
import type { HostIdentity } from '../../../shared/gpu-inventory';
import type { DoctorReport } from '../../../shared/host-report';
import type { Connection } from '../transport/connect';
import { messageOf } from './failure';
import { refreshOnConnect } from './refresh-on-connect';

export interface HostStoreState {
  /** Which host the backend reads; null until host.info answers. */
  identity: HostIdentity | null;
  /** The doctor's report; null until the first answer, so no check is ever shown as a guess. */
  report: DoctorReport | null;
  loading: boolean;
  error: string | null;
  refresh(): Promise<void>;
}

/** The Host page's state: the backend's host identity and the doctor's checks. */
export function createHostStore(connection: Connection): StoreApi<HostStoreState> {
  const store = createStore<HostStoreState>()((set) => ({
    identity: null,
    report: null,
    loading: false,
    error: null,
    async refresh() {
      set({ loading: true });
      const [info, report] = await Promise.allSettled([
        connection.call('host.info', {}),
        connection.call('host.doctor', {}),
      ]);
      const failures = [info, report].flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
      set((s) => ({
        identity: info.status === 'fulfilled' ? info.value.host : s.identity,
        report: report.status === 'fulfilled' ? report.value : s.report,
        loading: false,
        error: failures.length > 0 ? failures.join('; ') : null,
      }));
    },
  }));
  refreshOnConnect(connection, () => store.getState().refresh());
  return store;
}
