import { lazy, Suspense, useEffect, useRef } from 'react';
import { BackendBanner } from './components/BackendBanner';
import { Header } from './components/Header';
import { ViewBoundary } from './components/ViewBoundary';
import { Gallery } from './features/gallery/Gallery';
import { useTheme } from './hooks/use-theme';
import { formatRoute } from './navigation/route';
import { useRoute } from './navigation/use-route';
import { useSettingsStore, useVmStore } from './stores/context';

// noVNC, spice-html5 and xterm.js are most of the bytes; the gallery must not wait for them.
const ConsoleView = lazy(() =>
  import('./features/console/ConsoleView').then((m) => ({ default: m.ConsoleView })),
);
const WallView = lazy(() => import('./features/wall/WallView').then((m) => ({ default: m.WallView })));
const KioskPage = lazy(() => import('./features/kiosk/KioskPage').then((m) => ({ default: m.KioskPage })));
const KioskScreen = lazy(() =>
  import('./features/kiosk/KioskScreen').then((m) => ({ default: m.KioskScreen })),
);
// The gallery is the first view; the editor and the host and GPU pages load when first opened
// (with them in the initial chunk it was 134 KB gzipped, over the 120 KB goal of issue 15).
const VmEditor = lazy(() => import('./features/vm-editor/VmEditor').then((m) => ({ default: m.VmEditor })));
const HostPage = lazy(() => import('./features/host/HostPage').then((m) => ({ default: m.HostPage })));
const GpuPage = lazy(() => import('./features/gpu/GpuPage').then((m) => ({ default: m.GpuPage })));
const RunsPage = lazy(() => import('./features/runs/RunsPage').then((m) => ({ default: m.RunsPage })));
const ImagesPage = lazy(() =>
  import('./features/images/ImagesPage').then((m) => ({ default: m.ImagesPage })),
);

export function App() {
  const route = useRoute();
  const loadError = useVmStore((s) => s.loadError);
  const settingsError = useSettingsStore((s) => s.error);
  useTheme(useSettingsStore((s) => s.settings.appearance.theme));
  const wide = route.view === 'console' || route.view === 'wall';
  // The page scrolls inside <main>, which stays across views: every view opens at its top.
  const main = useRef<HTMLElement>(null);
  const where = formatRoute(route);
  useEffect(() => {
    main.current?.scrollTo(0, 0);
  }, [where]);

  // Tessera's kiosk window shows the VM's screen and nothing else: no header, no banners.
  if (route.view === 'kiosk-screen') {
    return (
      <ViewBoundary key={formatRoute(route)}>
        <Suspense fallback={null}>
          <KioskScreen id={route.id} />
        </Suspense>
      </ViewBoundary>
    );
  }

  return (
    <>
      <BackendBanner />
      <Header route={route} />
      <main ref={main} className={wide ? 'page page-wide' : 'page'} id="main">
        {loadError !== null && (
          <p className="notice notice-error" role="alert" data-testid="load-error">
            Could not load the VM list: {loadError}
          </p>
        )}
        {settingsError !== null && (
          // The defaults stay in use meanwhile; the backend never overwrites a broken settings file.
          <p className="notice notice-warning" role="alert" data-testid="settings-error">
            Preferences could not be read or saved, so the defaults are in use: {settingsError}
          </p>
        )}
        {/* Keyed by the route, so leaving a broken view clears its error. */}
        <ViewBoundary key={where}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {route.view === 'gallery' && <Gallery />}
            {route.view === 'new' && <VmEditor key="new" id={null} />}
            {route.view === 'edit' && <VmEditor key={route.id} id={route.id} />}
            {route.view === 'duplicate' && (
              <VmEditor key={`duplicate-${route.id}`} id={null} duplicateOf={route.id} />
            )}
            {route.view === 'console' && <ConsoleView key={route.id} id={route.id} tab={route.tab} />}
            {route.view === 'wall' && <WallView />}
            {route.view === 'host' && <HostPage />}
            {route.view === 'gpu' && <GpuPage />}
            {route.view === 'runs' && <RunsPage />}
            {route.view === 'images' && <ImagesPage />}
            {route.view === 'kiosk' && <KioskPage />}
          </Suspense>
        </ViewBoundary>
      </main>
    </>
  );
}
