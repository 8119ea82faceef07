import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { parseBackendRequest, type BackendRequest } from '../engine/backendRequest';
import type { MockOptions } from '../worker/mockJobs';
import type { JobName } from '../worker/protocol';
import { App } from './App';
import { engineClient, useLab } from './store';
import { hubBase } from './env';
import { decodeUrlState, LINK_VERSION, syncUrl } from './urlState';
import './styles.css';

const query = new URLSearchParams(location.search);

// `?backend=auto|webgpu|wasm|cpu` picks the tfjs backend (default auto); the worker applies it.
let requested: BackendRequest = 'auto';
let paramError: string | null = null;
try {
  requested = parseBackendRequest(query.get('backend'));
} catch (e) {
  paramError = (e as Error).message;
}

// `?mock=1` swaps in the mock engine (UI work, fast e2e); `mockSpeed`, `mockFail=job:code,…` tune it.
function mockOptions(): MockOptions | null {
  if (query.get('mock') !== '1') return null;
  const fail: MockOptions['fail'] = {};
  for (const part of (query.get('mockFail') ?? '').split(',').filter(Boolean)) {
    const [job, code] = part.split(':');
    if (job && code) fail[job as JobName] = code;
  }
  return { speed: Number(query.get('mockSpeed')) || 1, fail };
}

// The experiment in the address (a shared link), checked field by field.
const { state, problems } = await decodeUrlState(query);
// `?hub=` (a Hub mirror) applies to Hub sources the link did not pin to an address.
const c = state.config;
if (c.model.kind === 'hub' && !c.model.baseUrl) c.model = { ...c.model, ...hubBase() };
if ((c.data.kind === 'cifar10' || c.data.kind === 'cifar100') && !c.data.baseUrl) c.data = { ...c.data, ...hubBase() };
useLab.setState({ ...state, scrubAlpha: state.alpha, urlProblems: problems });
syncUrl({
  read: () => {
    const s = useLab.getState();
    return { config: s.config, presenter: s.presenter, alpha: s.scrubAlpha, cleanBaseline: s.cleanBaseline, xiTerm: s.xiTerm, xiCell: s.xiCell };
  },
  subscribe: (l) => useLab.subscribe(l),
  onEncoded: (e) => useLab.setState({ urlOmitted: e.omitted }),
});

// For the e2e suite and for poking around in DevTools.
// LINK_VERSION: what a link written now carries, so the e2e checks need not restate it.
Object.assign(globalThis, { __tbarLab: { useLab, client: () => engineClient(), LINK_VERSION } });

await useLab.getState().loadHistory();
if (paramError) useLab.setState({ status: 'error', error: paramError });
else void useLab.getState().start(requested, mockOptions());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
