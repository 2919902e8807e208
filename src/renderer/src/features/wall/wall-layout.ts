import type { Settings } from '../../../../shared/settings';
import type { VmInfo } from '../../../../shared/vm-spec';
import { hasLiveConsole } from '../../../../shared/vm-actions';

export type WallSettings = Settings['wall'];
export type WallLayout = WallSettings['layout'];

export const WALL_COLUMNS: Record<WallLayout, number> = { '2x2': 2, '3x3': 3 };

export function wallCapacity(layout: WallLayout): number {
  return WALL_COLUMNS[layout] ** 2;
}

/**
 * The VMs on the wall, cell by cell: the chosen ones in their order (deleted ones skipped), or,
 * when none are chosen, every VM with a live console, by name. Never more than the grid holds.
 */
export function wallVms(wall: WallSettings, vms: readonly VmInfo[]): VmInfo[] {
  const chosen =
    wall.vms.length > 0
      ? wall.vms.flatMap((id) => vms.filter((vm) => vm.id === id))
      : vms.filter((vm) => hasLiveConsole(vm.state)).sort((a, b) => a.id.localeCompare(b.id));
  return chosen.slice(0, wallCapacity(wall.layout));
}

/** Alt+1 … Alt+9 pick a cell (0-based); by physical key, so it works on any keyboard layout. */
export function hotkeyCell(
  event: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'code'>,
): number | null {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  const match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code);
  return match?.[1] ? Number(match[1]) - 1 : null;
}
