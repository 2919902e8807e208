import { VM_NAME_PATTERN } from '../../../shared/vm-spec';

export const CONSOLE_TABS = ['vnc', 'spice', 'serial', 'monitor', 'host', 'ssh'] as const;
export type ConsoleTab = (typeof CONSOLE_TABS)[number];

/** Where the user is. Lives in the URL's hash, so Back works and a reload stays put; never a secret in it. */
export type Route =
  | { view: 'gallery' }
  | { view: 'new' }
  | { view: 'duplicate'; id: string }
  | { view: 'edit'; id: string }
  | { view: 'console'; id: string; tab: ConsoleTab | null }
  | { view: 'wall' }
  | { view: 'host' }
  | { view: 'gpu' }
  | { view: 'runs' }
  | { view: 'images' }
  | { view: 'kiosk' }
  /** Tessera's kiosk window: the VM's screen and nothing else, full-window (Chromium --kiosk). */
  | { view: 'kiosk-screen'; id: string };

function isTab(value: string | undefined): value is ConsoleTab {
  return (CONSOLE_TABS as readonly string[]).includes(value ?? '');
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [first, id, action, tab] = parts;
  if (first === 'new' && parts.length === 1) return { view: 'new' };
  if (first === 'wall' && parts.length === 1) return { view: 'wall' };
  if (first === 'host' && parts.length === 1) return { view: 'host' };
  if (first === 'gpu' && parts.length === 1) return { view: 'gpu' };
  if (first === 'runs' && parts.length === 1) return { view: 'runs' };
  if (first === 'images' && parts.length === 1) return { view: 'images' };
  if (first === 'kiosk' && parts.length === 1) return { view: 'kiosk' };
  if (first === 'kiosk' && id !== undefined && VM_NAME_PATTERN.test(id) && parts.length === 2)
    return { view: 'kiosk-screen', id };
  if (first === 'vm' && id !== undefined && VM_NAME_PATTERN.test(id)) {
    if (action === 'edit' && parts.length === 3) return { view: 'edit', id };
    if (action === 'duplicate' && parts.length === 3) return { view: 'duplicate', id };
    if (action === 'console' && parts.length <= 4) {
      return { view: 'console', id, tab: isTab(tab) ? tab : null };
    }
  }
  return { view: 'gallery' };
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'gallery':
      return '#/';
    case 'new':
      return '#/new';
    case 'wall':
      return '#/wall';
    case 'host':
      return '#/host';
    case 'gpu':
      return '#/gpu';
    case 'runs':
      return '#/runs';
    case 'images':
      return '#/images';
    case 'kiosk':
      return '#/kiosk';
    case 'kiosk-screen':
      return `#/kiosk/${encodeURIComponent(route.id)}`;
    case 'edit':
      return `#/vm/${encodeURIComponent(route.id)}/edit`;
    case 'duplicate':
      return `#/vm/${encodeURIComponent(route.id)}/duplicate`;
    case 'console':
      return `#/vm/${encodeURIComponent(route.id)}/console${route.tab ? `/${route.tab}` : ''}`;
  }
}
