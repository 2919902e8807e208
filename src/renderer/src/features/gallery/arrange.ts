import type { Settings } from '../../../../shared/settings';
import type { VmInfo, VmState } from '../../../../shared/vm-spec';

export type SortBy = Settings['gallery']['sortBy'];

/** Live VMs first: a kiosk operator looks for what runs, then for what broke. */
const STATE_ORDER: Record<VmState, number> = {
  running: 0,
  paused: 1,
  starting: 2,
  stopping: 3,
  crashed: 4,
  stopped: 5,
};

function matches(vm: VmInfo, words: string[]): boolean {
  const haystack = `${vm.spec.name} ${vm.state}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The cards to show: every word of the query in the name or state, in the chosen order (name breaks ties). */
export function arrangeVms(vms: readonly VmInfo[], query: string, sortBy: SortBy): VmInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const byName = (a: VmInfo, b: VmInfo) => a.spec.name.localeCompare(b.spec.name);
  const order: Record<SortBy, (a: VmInfo, b: VmInfo) => number> = {
    name: byName,
    state: (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || byName(a, b),
    // Newest first: the VM just created is the one the user wants next.
    created: (a, b) => b.spec.createdAt.localeCompare(a.spec.createdAt) || byName(a, b),
  };
  return vms.filter((vm) => matches(vm, words)).sort(order[sortBy]);
}
