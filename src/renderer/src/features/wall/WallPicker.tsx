import { useState } from 'react';
import { useModal } from '../../hooks/use-modal';
import type { VmInfo } from '../../../../shared/vm-spec';
import { wallCapacity, type WallSettings } from './wall-layout';

interface WallPickerProps {
  open: boolean;
  wall: WallSettings;
  vms: readonly VmInfo[];
  onSave(vms: string[]): void;
  onClose(): void;
}

/** Which VMs fill the wall; none chosen means "whatever runs". */
export function WallPicker({ open, wall, vms, onSave, onClose }: WallPickerProps) {
  const [chosen, setChosen] = useState<string[]>(wall.vms);
  const ref = useModal(open, () => setChosen(wall.vms));
  const capacity = wallCapacity(wall.layout);

  const toggle = (id: string, on: boolean) => setChosen((c) => (on ? [...c, id] : c.filter((x) => x !== id)));
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="wall-picker-title"
      onClose={onClose}
      data-testid="wall-picker"
    >
      <h2 id="wall-picker-title">VMs on the wall</h2>
      <div className="dialog-body">
        <p className="hint">
          Up to {capacity} in this layout, in the order you tick them. Tick none to show every running VM.
        </p>
        <ul className="picker-list">
          {vms.map((vm) => {
            const index = chosen.indexOf(vm.id);
            return (
              <li key={vm.id}>
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={index >= 0}
                    disabled={index < 0 && chosen.length >= capacity}
                    onChange={(e) => toggle(vm.id, e.target.checked)}
                  />
                  {vm.spec.name}
                  {index >= 0 && <span className="cell-number small">{index + 1}</span>}
                </label>
              </li>
            );
          })}
        </ul>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={() => setChosen([])}>
          Follow running VMs
        </button>
        <button type="button" className="button-secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" onClick={() => onSave(chosen)} data-testid="wall-picker-save">
          Save
        </button>
      </div>
    </dialog>
  );
}
