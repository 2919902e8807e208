import { useVmStore } from '../stores/vm-store';

export function Header() {
  const host = useVmStore((s) => s.host);
  return (
    <header className="app-header">
      <h1 className="app-name">Tessera</h1>
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
              <dd data-testid="host-accelerator" className="text-warning">
                TCG, software emulation: {host.acceleratorReason}
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
              <dd data-testid="host-qemu" className="text-error">
                not usable: {host.qemu.error}
              </dd>
            )}
          </div>
        </dl>
      )}
    </header>
  );
}
