import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createVmStore, VmStoreContext } from './stores/vm-store';
import { connect } from './transport/connect';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// The connection and stores live outside React, so StrictMode's double effects cannot open two.
const store = createVmStore(connect());

createRoot(root).render(
  <StrictMode>
    <VmStoreContext.Provider value={store}>
      <App />
    </VmStoreContext.Provider>
  </StrictMode>,
);
