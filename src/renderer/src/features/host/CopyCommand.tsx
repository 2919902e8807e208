import { useEffect, useState } from 'react';

/** A command to run, with a button that puts it on the clipboard. */
export function CopyCommand({ command, testId }: { command: string; testId: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    navigator.clipboard.writeText(command).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <div className="copy-command">
      <pre>
        <code data-testid={`${testId}-text`}>{command}</code>
      </pre>
      <button
        type="button"
        className="button-quiet"
        onClick={copy}
        data-testid={testId}
        aria-label={`Copy: ${command}`}
      >
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
      </button>
    </div>
  );
}
