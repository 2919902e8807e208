// The base styles first: every feature's own CSS (imported by that feature) comes after them.
import './theme.css';
import './base.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SignedOut } from './components/SignedOut';
import { createStores, StoresContext } from './stores/context';
import { connect } from './transport/connect';
import { LAUNCH_FRAGMENT_KEY } from '../../shared/web-session';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// A launch link pasted into a tab already showing Tessera changes only the fragment: start over with it.
window.addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has(LAUNCH_FRAGMENT_KEY)) location.reload();
});

// The connection and stores live outside React, so StrictMode's double effects cannot open two.
void connect()
  .catch((error: unknown) => ({
    ok: false as const,
    message: `Could not reach \`tessera serve\` to sign this tab in (${error instanceof Error ? error.message : String(error)}): check that it still runs, then reload.`,
  }))
  .then((connected) => {
    createRoot(root).render(
      <StrictMode>
        {connected.ok ? (
          <StoresContext.Provider value={createStores(connected.connection)}>
            <App />
          </StoresContext.Provider>
        ) : (
          <SignedOut message={connected.message} />
        )}
      </StrictMode>,
    );
  });
