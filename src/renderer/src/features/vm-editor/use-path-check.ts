import { useEffect, useState } from 'react';
import { useFilesStore } from '../../stores/context';
import { formatBytes } from '../gallery/format';

export type PathCheck =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'ok'; text: string }
  | { state: 'problem'; text: string };

/** Wait for typing to pause before asking the backend about a path. */
const DEBOUNCE_MS = 400;

/**
 * What the backend's host says about a typed path: it exists, is a readable (and, for a disk the
 * VM writes, writable) file. Advice only; saving checks again.
 */
export function usePathCheck(path: string, needsWrite: boolean): PathCheck {
  const stat = useFilesStore((s) => s.stat);
  const [check, setCheck] = useState<PathCheck>({ state: 'idle' });
  const trimmed = path.trim();

  useEffect(() => {
    if (trimmed === '') {
      setCheck({ state: 'idle' });
      return;
    }
    let current = true;
    setCheck({ state: 'checking' });
    const timer = setTimeout(() => {
      void stat(trimmed).then((result) => {
        if (!current) return;
        if (!result.ok) return setCheck({ state: 'problem', text: result.failure.message });
        const facts = result.value;
        if (!facts.exists) return setCheck({ state: 'problem', text: 'No such file on the host' });
        if (facts.kind !== 'file')
          return setCheck({
            state: 'problem',
            text: `This is a ${facts.kind ?? 'special file'}, not a file`,
          });
        if (!facts.readable) return setCheck({ state: 'problem', text: 'Tessera may not read this file' });
        if (needsWrite && !facts.writable) {
          return setCheck({
            state: 'problem',
            text: 'Tessera may not write this file: mark the disk read-only or fix its permissions',
          });
        }
        setCheck({
          state: 'ok',
          text: facts.sizeBytes === undefined ? 'Found' : `Found, ${formatBytes(facts.sizeBytes)}`,
        });
      });
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [trimmed, needsWrite, stat]);

  return check;
}
