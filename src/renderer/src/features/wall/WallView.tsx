import { useEffect, useState } from 'react';
import { useSettingsStore, useVmStore } from '../../stores/context';
import { WallPicker } from './WallPicker';
import { WallTile } from './WallTile';
import { ChoiceSelect } from '../../components/ChoiceSelect';
import { canShutDown, canStart } from '../gallery/vm-actions';
import { hotkeyCell, WALL_COLUMNS, wallCapacity, wallVms, type WallLayout } from './wall-layout';
import './wall.css';

const LAYOUT_LABELS: Record<WallLayout, string> = { '2x2': '2 × 2', '3x3': '3 × 3' };

/** Several live consoles at once, for a booth or a kiosk operator; one of them has the keyboard. */
export function WallView() {
  const vms = useVmStore((s) => s.vms);
  const wall = useSettingsStore((s) => s.settings.wall);
  const updateSettings = useSettingsStore((s) => s.update);
  const start = useVmStore((s) => s.start);
  const stop = useVmStore((s) => s.stop);
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const tiles = wallVms(wall, vms ?? []);
  const tileIds = tiles.map((t) => t.id).join('\n');

  useEffect(() => {
    const ids = tileIds.split('\n');
    // Capture phase: the hotkey must not reach the guest that has the keyboard now.
    const onKey = (event: KeyboardEvent) => {
      const cell = hotkeyCell(event);
      const id = cell === null ? undefined : ids[cell];
      if (!id) return;
      event.preventDefault();
      event.stopPropagation();
      setFocusedId(id);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [tileIds]);

  if (vms === null) return <p className="muted">Loading…</p>;
  const columns = WALL_COLUMNS[wall.layout];
  const empty = wallCapacity(wall.layout) - tiles.length;

  return (
    <section className="wall" aria-labelledby="wall-title" data-testid="wall">
      <div className="toolbar">
        <h2 id="wall-title" className="section-title">
          Wall
        </h2>
        <div className="toolbar-controls">
          {tiles.length > 0 && (
            <span className="hint" data-testid="wall-hint">
              Click a console or press{' '}
              {tiles.length === 1 ? 'Alt+1' : `Alt+1…Alt+${Math.min(9, tiles.length)}`} to type into it.
            </span>
          )}
          <button
            type="button"
            className="button-secondary"
            disabled={!tiles.some((vm) => canStart(vm.state))}
            onClick={() => tiles.filter((vm) => canStart(vm.state)).forEach((vm) => void start(vm.id))}
            data-testid="wall-start-all"
          >
            Start all
          </button>
          <button
            type="button"
            className="button-secondary"
            disabled={!tiles.some((vm) => canShutDown(vm.state))}
            onClick={() => tiles.filter((vm) => canShutDown(vm.state)).forEach((vm) => void stop(vm.id))}
            data-testid="wall-stop-all"
          >
            Shut down all
          </button>
          <ChoiceSelect
            label="Layout"
            value={wall.layout}
            choices={LAYOUT_LABELS}
            testId="wall-layout"
            onChange={(layout) => void updateSettings({ wall: { ...wall, layout } })}
          />
          <button
            type="button"
            className="button-secondary"
            onClick={() => setPicking(true)}
            data-testid="wall-choose"
          >
            Choose VMs…
          </button>
        </div>
      </div>
      {tiles.length === 0 ? (
        <p className="empty" data-testid="wall-empty">
          {wall.vms.length > 0
            ? 'None of the chosen VMs exists any more. Choose others.'
            : 'No VM is running. Start some from the gallery, or choose which VMs the wall shows.'}
        </p>
      ) : (
        <ul
          className="wall-grid"
          style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
          data-columns={columns}
        >
          {tiles.map((vm, cell) => (
            <WallTile
              key={vm.id}
              vm={vm}
              cell={cell}
              focused={focusedId === vm.id}
              onFocus={() => setFocusedId(vm.id)}
            />
          ))}
          {Array.from({ length: empty }, (_, i) => (
            <li key={`empty-${i}`} className="wall-tile wall-tile-empty" aria-hidden="true" />
          ))}
        </ul>
      )}
      <WallPicker
        open={picking}
        wall={wall}
        vms={vms}
        onClose={() => setPicking(false)}
        onSave={(chosen) => {
          setPicking(false);
          void updateSettings({ wall: { ...wall, vms: chosen } });
        }}
      />
    </section>
  );
}
