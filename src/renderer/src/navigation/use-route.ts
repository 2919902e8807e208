import { useSyncExternalStore } from 'react';
import { formatRoute, parseRoute, type Route } from './route';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const currentHash = () => location.hash;

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, currentHash));
}

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const hash = formatRoute(route);
  if (options.replace) history.replaceState(null, '', hash);
  else location.hash = hash;
  // replaceState fires no hashchange; tell subscribers ourselves.
  if (options.replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}
