import type { DoctorCheck } from '../../../../shared/host-report';
import { CopyCommand } from './CopyCommand';

const STATUS_TEXT = { pass: 'Pass', warn: 'Warning', fail: 'Fail', unknown: 'Unknown' } as const;

export function CheckRow({ check, simulated }: { check: DoctorCheck; simulated: boolean }) {
  const { id, status, applies } = check;
  const showFix = applies && status !== 'pass' && (check.fix !== null || check.commands.length > 0);
  return (
    <li className={`check check-${applies ? status : 'na'}`} data-testid={`check-${id}`}>
      <span className="check-status" data-testid={`check-${id}-status`} data-status={status}>
        {applies ? STATUS_TEXT[status] : 'N/A'}
      </span>
      <div className="check-body">
        <h3 className="check-title">
          {check.title}
          {simulated && check.source === 'this-machine' && (
            <span
              className="tag"
              title="Programs and limits are read from the machine Tessera runs on, also for a simulated host"
            >
              this machine
            </span>
          )}
        </h3>
        <p className="check-summary">{check.summary}</p>
        {showFix && (
          <div className="check-fix">
            {check.fix && <p>{check.fix}</p>}
            {check.commands.map((command, i) => (
              <CopyCommand key={command} command={command} testId={`check-${id}-copy-${i}`} />
            ))}
          </div>
        )}
      </div>
    </li>
  );
}
