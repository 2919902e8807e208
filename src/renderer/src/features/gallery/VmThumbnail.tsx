import { useEffect, useRef } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { useOnScreen } from '../../hooks/use-on-screen';
import { useSettingsStore, useThumbnailStore } from '../../stores/context';
import { hasGraphics } from '../console/console-tabs';

/** About once a second (issue 3): enough to see a boot progress, cheap for 16 paused VMs. */
const REFRESH_MS = 1000;

function placeholderText(vm: VmInfo, enabled: boolean): string {
  if (!hasGraphics(vm.spec)) return 'No display';
  if (!enabled) return 'Thumbnails are off';
  if (vm.state === 'running' || vm.state === 'starting') return 'Waiting for the first frame…';
  return 'Not started yet';
}

/**
 * The VM's screen, refreshed only while the card is on screen and the VM runs; a stopped VM keeps
 * its last frame, greyed so nobody mistakes it for live.
 */
export function VmThumbnail({ vm }: { vm: VmInfo }) {
  const ref = useRef<HTMLDivElement>(null);
  const onScreen = useOnScreen(ref);
  const enabled = useSettingsStore((s) => s.settings.gallery.thumbnails);
  const thumbnail = useThumbnailStore((s) => s.thumbnails[vm.id]);
  const refresh = useThumbnailStore((s) => s.refresh);
  const graphics = hasGraphics(vm.spec);
  const { id, state } = vm;

  useEffect(() => {
    if (!onScreen || !enabled || !graphics) return;
    // Once on every state change: the first frame, or the last one once the VM stopped.
    void refresh(id);
    if (state !== 'running') return;
    const timer = setInterval(() => void refresh(id), REFRESH_MS);
    return () => clearInterval(timer);
  }, [onScreen, enabled, graphics, state, id, refresh]);

  const src = graphics ? thumbnail?.src : null;
  const live = state === 'running' && thumbnail?.live === true;
  return (
    <div ref={ref} className="thumb">
      {src ? (
        <img
          src={src}
          alt={live ? `Screen of ${vm.spec.name}` : `Last screen of ${vm.spec.name}`}
          className={live ? 'thumb-img' : 'thumb-img thumb-stale'}
          data-testid={`vm-${id}-thumbnail`}
          width={thumbnail?.width}
          height={thumbnail?.height}
        />
      ) : (
        <span className="thumb-empty">{placeholderText(vm, enabled)}</span>
      )}
      {src && !live && <span className="thumb-label">{state === 'paused' ? 'paused' : 'last frame'}</span>}
    </div>
  );
}
