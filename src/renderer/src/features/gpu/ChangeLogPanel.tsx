import { useGpuStore } from '../../stores/context';
import { CopyCommand } from '../host/CopyCommand';

const RESULT_LABEL = {
  applied: 'applied',
  failed: 'refused',
  'rolled-back': 'undone',
  'partly-rolled-back': 'partly undone',
} as const;

const ORIGIN_LABEL = {
  'gpu-page': 'the GPU page',
  cli: 'the command line',
  startup: 'Tessera’s start',
  vm: 'a VM',
  'run-matrix': 'a run matrix',
} as const;

/** What Tessera changed on the GPU, by whom and how it ended; and keeping the layout across reboots. */
export function ChangeLogPanel() {
  const log = useGpuStore((s) => s.log);
  const persistence = useGpuStore((s) => s.persistence);
  const setReapply = useGpuStore((s) => s.setReapplyAtStart);
  return (
    <section className="change-log" aria-labelledby="gpu-log-title">
      <h3 id="gpu-log-title">Changes</h3>
      {persistence && (
        <div className="persistence">
          <label>
            <input
              type="checkbox"
              checked={persistence.reapplyAtStart}
              onChange={(e) => void setReapply(e.target.checked)}
              data-testid="gpu-reapply"
            />{' '}
            VFs vanish on reboot: make the last applied layout again when Tessera starts
          </label>
          {persistence.startup && <p className="muted">{persistence.startup}</p>}
          {persistence.bootConfig.length > 0 && (
            <details>
              <summary>Or put it in the boot configuration (sysfsutils)</summary>
              <p className="muted">Add these lines to /etc/sysfs.conf; they are written in order at boot.</p>
              <CopyCommand command={persistence.bootConfig.join('\n')} testId="gpu-boot-config" />
            </details>
          )}
        </div>
      )}
      {log.length === 0 ? (
        <p className="muted" data-testid="gpu-log-empty">
          No changes yet.
        </p>
      ) : (
        <ol className="log-list" data-testid="gpu-log">
          {log.slice(0, 20).map((e) => (
            <li key={e.id}>
              <span className={`tag tag-${e.result}`}>{RESULT_LABEL[e.result]}</span>{' '}
              <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>{' '}
              <span className="muted">
                by {e.user} from {ORIGIN_LABEL[e.origin]}
              </span>
              <div>{e.summary}</div>
              {e.error && <div className="text-error">{e.error}</div>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
