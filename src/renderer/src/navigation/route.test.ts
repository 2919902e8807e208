import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from './route';

describe('routes', () => {
  it('round-trips every view', () => {
    const routes: Route[] = [
      { view: 'gallery' },
      { view: 'new' },
      { view: 'wall' },
      { view: 'host' },
      { view: 'gpu' },
      { view: 'runs' },
      { view: 'images' },
      { view: 'edit', id: 'web-1.test' },
      { view: 'console', id: 'tiny', tab: null },
      { view: 'console', id: 'tiny', tab: 'serial' },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('falls back to the gallery for anything it does not know', () => {
    for (const hash of ['', '#', '#/nope', '#/vm/../edit', '#/vm/a/explode', '#/new/extra', '#/vm/.x/edit']) {
      expect(parseRoute(hash)).toEqual({ view: 'gallery' });
    }
  });

  it('ignores an unknown console tab instead of failing', () => {
    expect(parseRoute('#/vm/tiny/console/telnet')).toEqual({ view: 'console', id: 'tiny', tab: null });
  });
});
