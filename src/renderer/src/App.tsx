import { BackendBanner } from './components/BackendBanner';
import { Header } from './components/Header';
import { InvalidDefinitions } from './features/gallery/InvalidDefinitions';
import { VmList } from './features/gallery/VmList';
import { useVmStore } from './stores/vm-store';

export function App() {
  const loadError = useVmStore((s) => s.loadError);
  return (
    <>
      <BackendBanner />
      <Header />
      <main className="page">
        {loadError !== null && (
          <p className="notice notice-error" role="alert" data-testid="load-error">
            Could not load the VM list: {loadError}
          </p>
        )}
        <InvalidDefinitions />
        <VmList />
      </main>
    </>
  );
}
