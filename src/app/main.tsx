import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { parseBackendRequest, type BackendRequest } from '../engine/backendRequest';
import { App } from './App';
import { engineClient, useLab } from './store';
import './styles.css';

// `?backend=auto|webgpu|wasm|cpu` picks the tfjs backend (default auto); the worker applies it.
let requested: BackendRequest = 'auto';
let paramError: string | null = null;
try {
  requested = parseBackendRequest(new URLSearchParams(location.search).get('backend'));
} catch (e) {
  paramError = (e as Error).message;
}

// For the e2e suite and for poking around in DevTools.
Object.assign(globalThis, { __tbarLab: { useLab, client: () => engineClient() } });

if (paramError) useLab.setState({ status: 'error', error: paramError });
else void useLab.getState().start(requested);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
