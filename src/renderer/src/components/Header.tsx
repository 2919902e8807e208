import type { Settings } from '../../../shared/settings';
import { formatRoute, type Route } from '../navigation/route';
import { ChoiceSelect } from './ChoiceSelect';
import { HostBadge } from './HostBadge';
import { useHostStore, useSettingsStore } from '../stores/context';
import './header.css';

type Theme = Settings['appearance']['theme'];
const THEMES: Record<Theme, string> = { system: 'System', light: 'Light', dark: 'Dark' };

function NavLink({ to, current, children }: { to: Route; current: Route; children: string }) {
  const active = to.view === current.view;
  return (
    <a
      href={formatRoute(to)}
      className="nav-link"
      aria-current={active ? 'page' : undefined}
      data-testid={`nav-${to.view}`}
    >
      {children}
    </a>
  );
}

export function Header({ route }: { route: Route }) {
  const host = useHostStore((s) => s.info);
  const theme = useSettingsStore((s) => s.settings.appearance.theme);
  const updateSettings = useSettingsStore((s) => s.update);
  return (
    <header className="app-header">
      <a className="app-name" href={formatRoute({ view: 'gallery' })}>
        <svg viewBox="0 0 32 32" aria-hidden="true" className="app-logo">
          <rect width="32" height="32" rx="6" fill="var(--logo-bg)" />
          <rect x="6" y="6" width="9" height="9" rx="1.5" fill="#fff" />
          <rect x="17" y="6" width="9" height="9" rx="1.5" fill="#9cc3f5" />
          <rect x="6" y="17" width="9" height="9" rx="1.5" fill="#9cc3f5" />
          <rect x="17" y="17" width="9" height="9" rx="1.5" fill="#fff" />
        </svg>
        <h1>Tessera</h1>
      </a>
      <nav aria-label="Views" className="nav">
        <NavLink to={{ view: 'gallery' }} current={route}>
          Gallery
        </NavLink>
        <NavLink to={{ view: 'wall' }} current={route}>
          Wall
        </NavLink>
        <NavLink to={{ view: 'host' }} current={route}>
          Host
        </NavLink>
        <NavLink to={{ view: 'gpu' }} current={route}>
          GPU
        </NavLink>
        <NavLink to={{ view: 'runs' }} current={route}>
          Runs
        </NavLink>
        <NavLink to={{ view: 'images' }} current={route}>
          Images
        </NavLink>
        <NavLink to={{ view: 'kiosk' }} current={route}>
          Kiosk
        </NavLink>
      </nav>
      {/* Which host, and what runs its guests, stacked in one slot so the header stays one row at 1280 px. */}
      <div className="host-summary">
        <HostBadge />
        {host && (
          <dl className="host-facts" data-testid="host-info">
            <div>
              <dt>Accelerator</dt>
              {host.accelerator === 'kvm' ? (
                <dd data-testid="host-accelerator" title={host.acceleratorReason}>
                  KVM
                </dd>
              ) : (
                // Without KVM every guest is emulated and slow; the reason says what to fix.
                <dd data-testid="host-accelerator" className="text-warning" title={host.acceleratorReason}>
                  TCG (software emulation)
                </dd>
              )}
            </div>
            <div>
              <dt>QEMU</dt>
              {'version' in host.qemu ? (
                <dd data-testid="host-qemu" title={host.qemu.path}>
                  {host.qemu.version}
                </dd>
              ) : (
                <dd data-testid="host-qemu" className="text-error" title={host.qemu.error}>
                  not usable: {host.qemu.error}
                </dd>
              )}
            </div>
          </dl>
        )}
      </div>
      <div className="header-actions">
        <ChoiceSelect
          label="Theme"
          value={theme}
          choices={THEMES}
          testId="theme"
          onChange={(next) => void updateSettings({ appearance: { theme: next } })}
        />
        <a className="button" href={formatRoute({ view: 'new' })} data-testid="new-vm">
          New VM
        </a>
      </div>
    </header>
  );
}
