import type { Unreadable } from '../../../shared/gpu-inventory';

/** What the backend could not read from the host, folded away but never hidden. */
export function UnreadableList({ items, testId }: { items: Unreadable[]; testId: string }) {
  if (items.length === 0) return null;
  return (
    <details className="unreadable" data-testid={testId}>
      <summary>
        Could not read {items.length} {items.length === 1 ? 'thing' : 'things'}
      </summary>
      <ul>
        {items.map((u) => (
          <li key={`${u.path}:${u.reason}`}>{u.reason}</li>
        ))}
      </ul>
    </details>
  );
}
