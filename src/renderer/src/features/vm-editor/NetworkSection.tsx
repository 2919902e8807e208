import { VM_LIMITS } from '../../../../shared/vm-spec';
import { Field, inputProps, SelectField } from './Field';
import type { ForwardRow, VmForm } from './form-model';
import { RowList, withRow } from './RowList';
import type { SectionProps } from './section-props';

const NETWORK_MODES: Record<VmForm['networkMode'], string> = {
  user: 'User-mode NAT (outbound, plus forwarded ports)',
  none: 'None',
};
const NIC_MODELS: Record<VmForm['nicModel'], string> = {
  virtio: 'virtio (fastest; Windows needs virtio-win)',
  e1000e: 'Intel e1000e (drivers in every OS)',
};
const PROTOCOLS: Record<ForwardRow['protocol'], string> = { tcp: 'TCP', udp: 'UDP' };
const LISTEN_ON: Record<ForwardRow['hostAddress'], string> = {
  '127.0.0.1': 'This host only',
  '0.0.0.0': 'Every network',
};

/** User-mode networking and the host ports forwarded into the guest. */
export function NetworkSection({ form, errorOf, change, disabled }: SectionProps) {
  const changeForward = (index: number, patch: Partial<ForwardRow>) =>
    change({ forwards: withRow(form.forwards, index, (f) => ({ ...f, ...patch })) });
  return (
    <fieldset className="form-section" disabled={disabled}>
      <legend>Network</legend>
      <div className="form-grid">
        <SelectField
          fieldKey="network.mode"
          label="Networking"
          error={errorOf('network.mode')}
          value={form.networkMode}
          choices={NETWORK_MODES}
          onChange={(networkMode) => change({ networkMode })}
        />
        {form.networkMode === 'user' && (
          <SelectField
            fieldKey="network.model"
            label="Network card"
            error={errorOf('network.model')}
            value={form.nicModel}
            choices={NIC_MODELS}
            onChange={(nicModel) => change({ nicModel })}
          />
        )}
      </div>
      {form.networkMode === 'user' && (
        <>
          <RowList
            rows={form.forwards}
            testId="forward"
            noun="forward"
            onChange={(forwards) => change({ forwards })}
            add={{
              label: 'Forward a port',
              testId: 'add-forward',
              limit: VM_LIMITS.forwardsMax,
              row: (): ForwardRow => ({
                protocol: 'tcp',
                hostAddress: '127.0.0.1',
                hostPort: '',
                guestPort: '22',
              }),
            }}
            renderRow={(f, index) => {
              const key = (field: string) => `network.forwards.${index}.${field}`;
              return (
                <>
                  <SelectField
                    fieldKey={key('protocol')}
                    label="Protocol"
                    error={errorOf(key('protocol'))}
                    value={f.protocol}
                    choices={PROTOCOLS}
                    onChange={(protocol) => changeForward(index, { protocol })}
                  />
                  <SelectField
                    fieldKey={key('hostAddress')}
                    label="Listen on"
                    error={errorOf(key('hostAddress'))}
                    value={f.hostAddress}
                    choices={LISTEN_ON}
                    onChange={(hostAddress) => changeForward(index, { hostAddress })}
                  />
                  <Field fieldKey={key('hostPort')} label="Host port" error={errorOf(key('hostPort'))}>
                    <input
                      type="number"
                      min={1}
                      max={65535}
                      value={f.hostPort}
                      onChange={(e) => changeForward(index, { hostPort: e.target.value })}
                      {...inputProps(key('hostPort'), errorOf(key('hostPort')))}
                    />
                  </Field>
                  <Field fieldKey={key('guestPort')} label="Guest port" error={errorOf(key('guestPort'))}>
                    <input
                      type="number"
                      min={1}
                      max={65535}
                      value={f.guestPort}
                      onChange={(e) => changeForward(index, { guestPort: e.target.value })}
                      {...inputProps(key('guestPort'), errorOf(key('guestPort')))}
                    />
                  </Field>
                </>
              );
            }}
          >
            <span className="hint">A TCP forward to guest port 22 adds an SSH tab to the console.</span>
          </RowList>
        </>
      )}
    </fieldset>
  );
}
