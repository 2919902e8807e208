import type { CSSProperties } from 'react';
import { PageHead } from '../../components/PageHead';
import { formatRoute } from '../../navigation/route';
import { useKioskStore, useVmStore } from '../../stores/context';
import type { KioskEntryStatus, KioskInputs, KioskMode, Monitor } from '../../../../shared/kiosk';
import type { VmInfo } from '../../../../shared/vm-spec';
import { mapLayout } from './monitor-map';
import './kiosk.css';

const MAP_WIDTH = 1040;

const MODES: Record<KioskMode, string> = {
  'qemu-window': "QEMU's own window",
  'tessera-window': "Tessera's window",
};

/** The way a VM is shown unless the user picks the other: what its display already is. */
function defaultMode(vm: VmInfo | undefined): KioskMode {
  return vm?.spec.display.kind === 'local' ? 'qemu-window' : 'tessera-window';
}

function StatusLine({ entry }: { entry: KioskEntryStatus | undefined }) {
  if (!entry) return <p className="kiosk-status muted">Nothing shown here.</p>;
  const placed = entry.placed ? 'in place' : 'not in place';
  return (
    <p
      className={`kiosk-status ${entry.problem ? 'kiosk-status-problem' : entry.placed ? 'kiosk-status-ok' : ''}`}
      data-testid={`kiosk-status-${entry.monitor}`}
    >
      <strong>{entry.vmState}</strong>, {placed}
      {entry.restarts > 0 ? `, ${entry.restarts} restart${entry.restarts === 1 ? '' : 's'}` : ''}
      {entry.problem ? `: ${entry.problem}` : ''}
    </p>
  );
}

/**
 * The seat's own input devices beside its VM (issue 17): the USB devices the VM owns, by port
 * path or ids, with what is plugged in there now, and its evdev pass-through devices.
 */
function InputList({ monitor, inputs }: { monitor: string; inputs: KioskInputs }) {
  if (inputs.usb.length === 0 && inputs.evdev.length === 0) {
    return (
      <p className="kiosk-status muted" data-testid={`kiosk-inputs-${monitor}`}>
        Input: no devices of its own (the host&apos;s keyboard and mouse through the window)
      </p>
    );
  }
  return (
    <ul
      className="kiosk-inputs"
      data-testid={`kiosk-inputs-${monitor}`}
      aria-label={`Input devices of ${monitor}`}
    >
      {inputs.usb.map((u) => (
        <li key={u.selector} data-testid={`kiosk-usb-${monitor}-${u.selector}`}>
          USB {u.selector}:{' '}
          {u.device ? (
            <>
              <span className="kiosk-status-ok">present</span>, {u.device.name}
              {u.device.portPath !== u.selector ? ` in ${u.device.portPath}` : ''}
              {u.heldBy ? ` · held by ${u.heldBy}` : ''}
            </>
          ) : (
            <span className="kiosk-status-problem">not plugged in now (attached when it appears)</span>
          )}
        </li>
      ))}
      {inputs.evdev.map((e) => (
        <li key={e.path} data-testid={`kiosk-evdev-${monitor}`}>
          evdev {e.path}:{' '}
          {e.present ? (
            <span className="kiosk-status-ok">present</span>
          ) : (
            <span className="kiosk-status-problem">
              not on this host now (QEMU will not start without it)
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function MonitorCard(props: { name: string; monitor: Monitor | null; style?: CSSProperties; vms: VmInfo[] }) {
  const { name, monitor, vms } = props;
  const assignment = useKioskStore((s) => s.settings.assignments.find((a) => a.monitor === name));
  const entry = useKioskStore((s) => s.status?.entries.find((e) => e.monitor === name));
  const refusal = useKioskStore((s) => s.refusals[name]);
  const assign = useKioskStore((s) => s.assign);
  const unassign = useKioskStore((s) => s.unassign);
  const issueAt = (field: string) => refusal?.issues.find((i) => i.path[0] === field)?.message;
  const unplaced = refusal && refusal.issues.length === 0 ? refusal.message : undefined;
  return (
    <div
      className={`kiosk-monitor${monitor === null ? ' kiosk-monitor-missing' : ''}${entry?.placed ? ' kiosk-monitor-placed' : ''}`}
      style={props.style}
      data-testid={`kiosk-monitor-${name}`}
    >
      <div className="kiosk-monitor-head">
        <span className="kiosk-monitor-name">{name}</span>
        {monitor ? (
          <span className="muted">
            {monitor.width}×{monitor.height} at {monitor.x},{monitor.y}
            {monitor.primary ? ' · primary' : ''}
          </span>
        ) : (
          <span className="kiosk-badge">not connected</span>
        )}
      </div>
      {monitor && (
        <p className="kiosk-connector muted">
          {monitor.connector
            ? `DRM connector ${monitor.connector}${monitor.simulated ? ' (simulated host)' : ''}`
            : 'no DRM connector matched'}
        </p>
      )}
      <label className="kiosk-field">
        <span>VM</span>
        <select
          data-testid={`kiosk-assign-${name}`}
          value={assignment?.vm ?? ''}
          aria-invalid={issueAt('vm') !== undefined || issueAt('monitor') !== undefined}
          onChange={(e) => {
            const vm = e.target.value;
            if (vm === '') void unassign(name);
            else void assign(name, vm, defaultMode(vms.find((v) => v.id === vm)));
          }}
        >
          <option value="">— nothing —</option>
          {vms.map((vm) => (
            <option key={vm.id} value={vm.id}>
              {vm.spec.name} ({vm.spec.display.kind})
            </option>
          ))}
        </select>
      </label>
      {(issueAt('vm') ?? issueAt('monitor')) && (
        <p className="field-error" data-testid={`kiosk-error-${name}`}>
          {issueAt('vm') ?? issueAt('monitor')}
        </p>
      )}
      {assignment && (
        <label className="kiosk-field">
          <span>Shown in</span>
          <select
            data-testid={`kiosk-mode-${name}`}
            value={assignment.mode}
            aria-invalid={issueAt('mode') !== undefined}
            onChange={(e) => void assign(name, assignment.vm, e.target.value as KioskMode)}
          >
            {Object.entries(MODES).map(([mode, label]) => (
              <option key={mode} value={mode}>
                {label}
              </option>
            ))}
          </select>
        </label>
      )}
      {issueAt('mode') && (
        <p className="field-error" data-testid={`kiosk-mode-error-${name}`}>
          {issueAt('mode')}
        </p>
      )}
      {unplaced && (
        <p className="field-error" data-testid={`kiosk-error-${name}`}>
          {unplaced}
        </p>
      )}
      {assignment?.mode === 'tessera-window' && (
        <a className="kiosk-screen-link" href={formatRoute({ view: 'kiosk-screen', id: assignment.vm })}>
          Kiosk window
        </a>
      )}
      {assignment && <StatusLine entry={entry} />}
      {assignment && entry && <InputList monitor={name} inputs={entry.inputs} />}
    </div>
  );
}

/** The host's monitors at their real positions and sizes, what each shows, and the kiosk's switch. */
export function KioskPage() {
  const server = useKioskStore((s) => s.server);
  const monitors = useKioskStore((s) => s.monitors);
  const settings = useKioskStore((s) => s.settings);
  const status = useKioskStore((s) => s.status);
  const loading = useKioskStore((s) => s.loading);
  const error = useKioskStore((s) => s.error);
  const busy = useKioskStore((s) => s.busy);
  const actionError = useKioskStore((s) => s.actionError);
  const refresh = useKioskStore((s) => s.refresh);
  const start = useKioskStore((s) => s.start);
  const stop = useKioskStore((s) => s.stop);
  const vms = useVmStore((s) => s.vms) ?? [];
  const layout = mapLayout(monitors, MAP_WIDTH);
  const missing = settings.assignments.filter((a) => !monitors.some((m) => m.name === a.monitor));
  const running = status?.running ?? false;

  return (
    <section aria-labelledby="kiosk-title" className="kiosk-page">
      <PageHead
        id="kiosk"
        title="Kiosk: each VM full-screen on a monitor of this host"
        loading={loading}
        idleLabel="Look again"
        busyLabel="Looking…"
        onRefresh={() => void refresh()}
        error={error}
        errorPrefix="Could not read the monitors"
      />
      {server && server.message && (
        <p className="notice notice-warning" role="status" data-testid="kiosk-server-message">
          {server.message}
        </p>
      )}
      <div className="kiosk-controls">
        <button
          type="button"
          data-testid="kiosk-start"
          disabled={busy !== null || server?.kind !== 'x11' || settings.assignments.length === 0}
          onClick={() => void start()}
        >
          {busy === 'start' ? 'Starting…' : running ? 'Kiosk running' : 'Start kiosk'}
        </button>
        <button
          type="button"
          className="button-secondary"
          data-testid="kiosk-stop"
          disabled={busy !== null || !running}
          onClick={() => void stop()}
        >
          {busy === 'stop' ? 'Stopping…' : 'Stop kiosk'}
        </button>
        <span className="muted" data-testid="kiosk-state">
          {running ? 'Running: windows are kept in place, crashed VMs restarted' : 'Stopped'}
          {status?.blanking ? ` · ${status.blanking}` : ''}
        </span>
      </div>
      {actionError && (
        <p className="notice notice-error" role="alert" data-testid="kiosk-action-error">
          {actionError}
        </p>
      )}
      {status?.problem && (
        <p className="notice notice-error" role="alert" data-testid="kiosk-problem">
          {status.problem}
        </p>
      )}
      {monitors.length > 0 && (
        <div
          className="kiosk-map"
          style={{ width: layout.width, height: layout.height }}
          data-testid="kiosk-map"
        >
          {layout.boxes.map(({ monitor, style }) => (
            <MonitorCard key={monitor.name} name={monitor.name} monitor={monitor} style={style} vms={vms} />
          ))}
        </div>
      )}
      {missing.length > 0 && (
        <>
          <h3 className="section-title">Assigned to monitors not connected now (kept)</h3>
          <div className="kiosk-missing">
            {missing.map((a) => (
              <MonitorCard key={a.monitor} name={a.monitor} monitor={null} vms={vms} />
            ))}
          </div>
        </>
      )}
      <dl className="kiosk-modes">
        <dt>{MODES['qemu-window']}</dt>
        <dd>
          The zero-copy path that SR-IOV and GVT-g guests need for full frame rate (display “local”). Stock
          QEMU opens its window where the window manager likes; Tessera moves it onto its monitor and makes it
          full-screen through the X server, with QEMU’s close button and menu bar off.
        </dd>
        <dt>{MODES['tessera-window']}</dt>
        <dd>
          The VM’s console (VNC or SPICE) with nothing else on screen, for any QEMU and guest: in the desktop
          app a full-screen window on that monitor; in a browser, open the kiosk window link with Chromium’s
          --kiosk --window-position=X,Y.
        </dd>
        <dt>Window managers</dt>
        <dd data-testid="kiosk-window-managers">
          Tried with openbox and xfwm4 on X11: each puts a window full-screen on the monitor that holds it, so
          Tessera moves it there first. On Wayland no program may put a window on a chosen monitor (the
          compositor alone decides): only Tessera’s window works there, on the monitor the compositor picks.
        </dd>
        <dt>Leaving the kiosk</dt>
        <dd>
          The operator chord <kbd>{settings.operatorChord}</kbd> (with a confirmation) or Stop kiosk here;
          after {settings.giveUp.crashes} crashes within {settings.giveUp.windowMinutes} minutes a VM is given
          up.
        </dd>
      </dl>
    </section>
  );
}
