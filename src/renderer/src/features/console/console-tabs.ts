import type { VmSpec } from '../../../../shared/vm-spec';
import type { ConsoleTab } from '../../navigation/route';

export interface TabInfo {
  tab: ConsoleTab;
  label: string;
}

/** A screen needs both an adapter to draw on and a display server to show it. */
export function hasGraphics(spec: Pick<VmSpec, 'vga' | 'display'>): boolean {
  return spec.vga !== 'none' && spec.display !== 'none';
}

/** Why a VM has no graphical console, in the words of its settings; null when it has one. */
export function noGraphicsReason(spec: Pick<VmSpec, 'vga' | 'display'>): string | null {
  if (spec.vga === 'none')
    return 'This VM has no graphics adapter (GPU: none), so there is no screen to show.';
  if (spec.display === 'none')
    return 'This VM has no display server (display: none), so its screen is not shared.';
  return null;
}

/** The guest port SSH listens on; a VM gets an SSH tab when some host port forwards to it. */
const SSH_PORT = 22;

export function sshForward(spec: Pick<VmSpec, 'network'>): number | null {
  if (spec.network.mode !== 'user') return null;
  const forward = spec.network.forwards.find((f) => f.protocol === 'tcp' && f.guestPort === SSH_PORT);
  return forward?.hostPort ?? null;
}

/** The console tabs of a VM, graphical first, in the order they are shown. */
export function consoleTabs(spec: Pick<VmSpec, 'vga' | 'display' | 'network'>): TabInfo[] {
  const tabs: TabInfo[] = [];
  if (hasGraphics(spec)) {
    tabs.push(spec.display === 'spice' ? { tab: 'spice', label: 'SPICE' } : { tab: 'vnc', label: 'Screen' });
  }
  tabs.push({ tab: 'serial', label: 'Serial' }, { tab: 'monitor', label: 'QEMU monitor' });
  if (sshForward(spec) !== null) tabs.push({ tab: 'ssh', label: 'SSH' });
  tabs.push({ tab: 'host', label: 'Host terminal' });
  return tabs;
}
