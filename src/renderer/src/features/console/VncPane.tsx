import type RFB from '@novnc/novnc';
import { useCallback, useRef, useState } from 'react';
import type { VmInfo } from '../../../../shared/vm-spec';
import { useSettingsStore } from '../../stores/context';
import { hasLiveConsole } from '../../../../shared/vm-actions';
import { ChoiceSelect } from '../../components/ChoiceSelect';
import { GraphicsToolbar } from './GraphicsToolbar';
import { pressSequence, textToKeys, KEYS, type KeyCombo } from './key-combos';
import { PasteDialog } from './PasteDialog';
import { StoppedNotice } from './StoppedNotice';
import { useFullscreen } from './use-fullscreen';
import { useKeyboardGrab } from './use-keyboard-grab';
import { VncScreen, type Scaling } from './VncScreen';

const SCALING_LABELS: Record<Scaling, string> = { fit: 'Fit to window', native: '1:1 (scroll)' };

function sendCombo(rfb: RFB, combo: KeyCombo) {
  for (const { key, down } of pressSequence(combo.keys)) rfb.sendKey(key.keysym, key.code, down);
}

function typeText(rfb: RFB, text: string) {
  for (const { keysym, shift } of textToKeys(text)) {
    if (shift) rfb.sendKey(KEYS.shift.keysym, KEYS.shift.code, true);
    rfb.sendKey(keysym, null, true);
    rfb.sendKey(keysym, null, false);
    if (shift) rfb.sendKey(KEYS.shift.keysym, KEYS.shift.code, false);
  }
}

/** The VNC console with its controls: keyboard grab, key combinations, paste, scaling, full screen. */
export function VncPane({ vm, visible }: { vm: VmInfo; visible: boolean }) {
  const consoleSettings = useSettingsStore((s) => s.settings.console);
  const updateSettings = useSettingsStore((s) => s.update);
  const [rfb, setRfb] = useState<RFB | null>(null);
  const [pasteOpen, setPasteOpen] = useState(false);
  const pane = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const [fullscreen, toggleFullscreen] = useFullscreen(pane);
  const release = useCallback(() => {
    rfb?.blur();
    pane.current
      ?.querySelector<HTMLElement>('[data-testid="keyboard-grab"], [data-testid="keyboard-release"]')
      ?.focus();
  }, [rfb]);
  const grabbed = useKeyboardGrab(screen, release);

  return (
    <div ref={pane} className="console-pane" data-visible={visible}>
      <GraphicsToolbar
        connected={rfb !== null}
        grabbed={grabbed}
        onGrab={() => rfb?.focus()}
        onRelease={release}
        onKeys={(combo) => rfb && sendCombo(rfb, combo)}
        fullscreen={fullscreen}
        onFullscreen={toggleFullscreen}
      >
        <button
          type="button"
          className="button-secondary"
          disabled={rfb === null}
          onClick={() => setPasteOpen(true)}
          data-testid="console-paste"
        >
          Paste…
        </button>
        <ChoiceSelect
          label="Scale"
          value={consoleSettings.scaling}
          choices={SCALING_LABELS}
          testId="console-scaling"
          onChange={(scaling) => void updateSettings({ console: { ...consoleSettings, scaling } })}
        />
      </GraphicsToolbar>
      <div ref={screen} className={grabbed ? 'screen-frame grabbed' : 'screen-frame'}>
        <VncScreen
          vmId={vm.id}
          active={hasLiveConsole(vm.state)}
          scaling={consoleSettings.scaling}
          inactive={<StoppedNotice vm={vm} />}
          onRfb={setRfb}
          testId="console-canvas"
          label={`Screen of ${vm.spec.name}`}
        />
        {vm.state === 'paused' && (
          <p className="paused-banner" role="status">
            Paused: the screen is frozen until the VM resumes.
          </p>
        )}
      </div>
      <PasteDialog
        open={pasteOpen}
        onClose={() => setPasteOpen(false)}
        onClipboard={(text) => rfb?.clipboardPasteFrom(text)}
        onType={(text) => rfb && typeText(rfb, text)}
      />
    </div>
  );
}
