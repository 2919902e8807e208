import { useSyncExternalStore } from 'react';

/** The pages, addressed by the URL hash (#/host) so reloads and the back button keep the page. */
export const PAGES = [
  { id: 'vms', label: 'Virtual machines' },
  { id: 'host', label: 'Host' },
  { id: 'gpu', label: 'GPU' },
] as const;
export type PageId = (typeof PAGES)[number]['id'];

export function pageFromHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id)?.id ?? 'vms';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): PageId {
  return useSyncExternalStore(subscribe, () => pageFromHash(window.location.hash));
}
