import { useState, type ComponentProps, type KeyboardEvent } from 'react';
import { hasNothingToBoot, NOTHING_TO_BOOT } from '../../../../shared/boot-media';
import type { VmInfo } from '../../../../shared/vm-spec';
import { describeGpuLease } from '../../../../shared/vm-describe';
import { VmActionButton } from '../gallery/VmActionButton';
import { UsbControl } from './UsbControl';
import { formatRoute, type ConsoleTab } from '../../navigation/route';
import { navigate } from '../../navigation/use-route';
import { useConsoleStore, useVmStore } from '../../stores/context';
import { StateBadge } from '../gallery/StateBadge';
import { canResume, canStart, hasLiveConsole } from '../gallery/vm-actions';
import { ResetGoldenButton } from '../images/ResetGoldenButton';
import { consoleTabs, noGraphicsReason } from './console-tabs';
import { SpicePane } from './SpicePane';
import { StoppedNotice } from './StoppedNotice';
import { TerminalScreen } from './TerminalScreen';
import { VncPane } from './VncPane';
import './console.css';

type TerminalTab = Omit<ComponentProps<typeof TerminalScreen>, 'visible'>;
const VM_CONSOLE = { sendsResize: false, replaysScrollback: true } as const;
const PTY = { sendsResize: true, replaysScrollback: false } as const;

/** One VM's consoles as tabs; each stays connected once opened, so switching tabs loses nothing. */
export function ConsoleView({ id, tab }: { id: string; tab: ConsoleTab | null }) {
  const vm = useVmStore((s) => s.vms?.find((v) => v.id === id));
  const loaded = useVmStore((s) => s.vms !== null);
  if (!loaded) return <p className="muted">Loading…</p>;
  if (!vm) {
    return (
      <p className="notice notice-error" role="alert">
        There is no VM named “{id}”. <a href={formatRoute({ view: 'gallery' })}>Back to the gallery</a>
      </p>
    );
  }
  return <Consoles vm={vm} requested={tab} />;
}

function Consoles({ vm, requested }: { vm: VmInfo; requested: ConsoleTab | null }) {
  const openConsole = useConsoleStore((s) => s.openConsole);
  const openTerminal = useConsoleStore((s) => s.openTerminal);
  const tabs = consoleTabs(vm.spec);
  const current = tabs.find((t) => t.tab === requested)?.tab ?? tabs[0]?.tab ?? 'serial';
  // A tab connects when first shown and stays connected (and keeps its scrollback) afterwards.
  const [visited, setVisited] = useState<ReadonlySet<ConsoleTab>>(() => new Set([current]));
  if (!visited.has(current)) setVisited(new Set(visited).add(current));
  const live = hasLiveConsole(vm.state);
  const reason = noGraphicsReason(vm.spec);
  const inactive = <StoppedNotice vm={vm} />;
  const name = vm.spec.name;
  // Serial and monitor replay the run's recent output on connect; terminals are fresh ptys.
  const terminals: Partial<Record<ConsoleTab, TerminalTab>> = {
    serial: {
      open: () => openConsole(vm.id, 'serial'),
      ...VM_CONSOLE,
      active: live,
      inactive,
      testId: 'serial-terminal',
      label: `Serial console of ${name}`,
    },
    monitor: {
      open: () => openConsole(vm.id, 'monitor'),
      ...VM_CONSOLE,
      active: live,
      inactive,
      testId: 'monitor-terminal',
      label: `QEMU monitor of ${name}`,
    },
    ssh: {
      open: () => openTerminal({ kind: 'ssh', id: vm.id }),
      ...PTY,
      active: live,
      inactive,
      testId: 'ssh-terminal',
      label: `SSH into ${name}`,
    },
    host: {
      open: () => openTerminal({ kind: 'host' }),
      ...PTY,
      active: true,
      inactive: null,
      testId: 'host-terminal',
      label: 'Terminal on the host',
    },
  };

  const select = (next: ConsoleTab) => navigate({ view: 'console', id: vm.id, tab: next }, { replace: true });
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = tabs.findIndex((t) => t.tab === current);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length];
    if (next) {
      select(next.tab);
      document.getElementById(`console-tab-${next.tab}`)?.focus();
    }
  };

  return (
    <section className="console-view" aria-labelledby="console-title" data-testid="console-view">
      <div className="console-head">
        <a href={formatRoute({ view: 'gallery' })} className="back-link">
          ← Gallery
        </a>
        <h2 id="console-title">{vm.spec.name}</h2>
        <StateBadge id={vm.id} state={vm.state} />
        {vm.gpuLease && (
          <span className="console-gpu-lease" data-testid="console-gpu-lease">
            {describeGpuLease(vm.gpuLease)}
          </span>
        )}
        <UsbControl vm={vm} />
        <div className="console-power" role="group" aria-label="Power">
          {canStart(vm.state) && <VmActionButton vm={vm} action="start" />}
          <VmActionButton
            vm={vm}
            action={canResume(vm.state) ? 'resume' : 'pause'}
            className="button-ghost"
          />
          <VmActionButton vm={vm} action="reset" className="button-ghost" />
          <ResetGoldenButton vm={vm} />
          <VmActionButton vm={vm} action="stop" />
          <VmActionButton vm={vm} action="kill" />
        </div>
      </div>
      {hasNothingToBoot(vm.spec) && (
        <p className="notice notice-warning" role="status" data-testid="console-no-boot">
          {NOTHING_TO_BOOT}
        </p>
      )}
      {reason !== null && (
        <p className="notice notice-info" role="note" data-testid="console-no-graphics">
          {reason} The serial console and the QEMU monitor are below.
        </p>
      )}
      <div className="tabs" role="tablist" aria-label="Consoles">
        {tabs.map(({ tab, label }) => (
          <button
            key={tab}
            type="button"
            role="tab"
            id={`console-tab-${tab}`}
            data-testid={`console-tab-${tab}`}
            aria-selected={tab === current}
            aria-controls={`console-panel-${tab}`}
            tabIndex={tab === current ? 0 : -1}
            className="tab"
            onClick={() => select(tab)}
            onKeyDown={onTabKey}
          >
            {label}
          </button>
        ))}
      </div>
      {tabs.map(({ tab }) => (
        <div
          key={tab}
          role="tabpanel"
          id={`console-panel-${tab}`}
          aria-labelledby={`console-tab-${tab}`}
          className="tab-panel"
          hidden={tab !== current}
        >
          {visited.has(tab) && tab === 'vnc' && <VncPane vm={vm} visible={tab === current} />}
          {visited.has(tab) && tab === 'spice' && <SpicePane vm={vm} visible={tab === current} />}
          {visited.has(tab) && terminals[tab] && (
            <TerminalScreen {...terminals[tab]} visible={tab === current} />
          )}
        </div>
      ))}
    </section>
  );
}
