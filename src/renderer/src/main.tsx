import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createGpuStore, GpuStoreContext } from './stores/gpu-store';
import { createHostStore, HostStoreContext } from './stores/host-store';
import { createVmStore, VmStoreContext } from './stores/vm-store';
import { connect } from './transport/connect';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// The connection and stores live outside React, so StrictMode's double effects cannot open two.
const connection = connect();
const vmStore = createVmStore(connection);
const hostStore = createHostStore(connection);
const gpuStore = createGpuStore(connection);

createRoot(root).render(
  <StrictMode>
    <VmStoreContext.Provider value={vmStore}>
      <HostStoreContext.Provider value={hostStore}>
        <GpuStoreContext.Provider value={gpuStore}>
          <App />
        </GpuStoreContext.Provider>
      </HostStoreContext.Provider>
    </VmStoreContext.Provider>
  </StrictMode>,
);
