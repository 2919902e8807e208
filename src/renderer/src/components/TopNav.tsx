import './top-nav.css';
import { PAGES, type PageId } from '../navigation/route';
import { HostBadge } from './HostBadge';

export function TopNav({ page }: { page: PageId }) {
  return (
    <nav className="top-nav" aria-label="Pages">
      <ul>
        {PAGES.map((p) => (
          <li key={p.id}>
            <a
              href={`#/${p.id}`}
              aria-current={p.id === page ? 'page' : undefined}
              data-testid={`nav-${p.id}`}
            >
              {p.label}
            </a>
          </li>
        ))}
      </ul>
      <HostBadge />
    </nav>
  );
}
