import { BackendBanner } from './components/BackendBanner';
import { Header } from './components/Header';
import { TopNav } from './components/TopNav';
import { GpuPage } from './features/gpu/GpuPage';
import { InvalidDefinitions } from './features/gallery/InvalidDefinitions';
import { VmList } from './features/gallery/VmList';
import { HostPage } from './features/host/HostPage';
import { useRoute } from './navigation/route';
import { useVmStore } from './stores/vm-store';

export function App() {
  const loadError = useVmStore((s) => s.loadError);
  const page = useRoute();
  return (
    <>
      <BackendBanner />
      <Header />
      <TopNav page={page} />
      <main className="page">
        {page === 'host' && <HostPage />}
        {page === 'gpu' && <GpuPage />}
        {page === 'vms' && (
          <>
            {loadError !== null && (
              <p className="notice notice-error" role="alert" data-testid="load-error">
                Could not load the VM list: {loadError}
              </p>
            )}
            <InvalidDefinitions />
            <VmList />
          </>
        )}
      </main>
    </>
  );
}
