/**
 * Hugging Face Hub URLs. The Hub serves a file of a repo at a revision as
 *
 *   models:    {baseUrl}/{repo}/resolve/{revision}/{path}
 *   datasets:  {baseUrl}/datasets/{repo}/resolve/{revision}/{path}
 *
 * (huggingface_hub's `hf_hub_url`; `resolve` redirects to the LFS CDN for big files, with CORS).
 * `baseUrl` defaults to https://huggingface.co; the tests and the e2e suite point it at a local
 * server with the same layout. Revision defaults to `main`; a branch name with '/' (refs/pr/1) is
 * URL-encoded as one segment, as hf_hub_url does.
 */
import { HubError } from './errors';

export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';
export const DEFAULT_MODEL_REPO = 'openai/clip-vit-base-patch32';

/** Repos the UI offers (any CLIPModel repo with safetensors works). */
export const KNOWN_MODEL_REPOS = [
  { repo: 'openai/clip-vit-base-patch32', label: 'CLIP ViT-B/32 (OpenAI, 151M params, 605 MB)' },
  { repo: 'openai/clip-vit-base-patch16', label: 'CLIP ViT-B/16 (OpenAI, 150M params, 599 MB)' },
  { repo: 'openai/clip-vit-large-patch14', label: 'CLIP ViT-L/14 (OpenAI, 428M params, 1.7 GB)' },
  { repo: 'wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M', label: 'TinyCLIP ViT-8M/16 Text-3M (Microsoft, 8M+3M)' },
  { repo: 'wkcn/TinyCLIP-ViT-39M-16-Text-19M-YFCC15M', label: 'TinyCLIP ViT-39M/16 Text-19M (Microsoft)' },
] as const;

export type RepoType = 'model' | 'dataset';

export interface HubLocation {
  repo: string;
  revision?: string;
  baseUrl?: string;
  type?: RepoType;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/;

/** Check a repo id ("owner/name"); throws HubError('bad-source'). */
export function checkRepoId(repo: string): string {
  const r = repo.trim();
  if (!REPO_RE.test(r) || r.includes('..')) {
    throw new HubError('bad-source', `"${repo}" is not a Hugging Face repo id: use owner/name, e.g. ${DEFAULT_MODEL_REPO}.`);
  }
  return r;
}

/** Normalise a base URL: absolute http(s), no trailing slash. */
export function normalizeBaseUrl(baseUrl: string | undefined): string {
  const raw = (baseUrl ?? DEFAULT_HUB_URL).trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HubError('bad-source', `hub address "${raw}" is not an absolute URL (e.g. ${DEFAULT_HUB_URL}).`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HubError('bad-source', `hub address "${raw}" must be http:// or https://.`);
  }
  return u.href.replace(/\/+$/, '');
}

/** Encode a file path inside a repo segment by segment ('plain_text/train-0.parquet'). */
function encodePath(path: string): string {
  const parts = path.split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') throw new HubError('bad-source', `"${path}" is not a file path inside a repo.`);
  }
  return parts.map(encodeURIComponent).join('/');
}

/** The resolve URL of `path` in a repo. */
export function hubFileUrl(loc: HubLocation, path: string): string {
  const base = normalizeBaseUrl(loc.baseUrl);
  const repo = checkRepoId(loc.repo);
  const rev = encodeURIComponent(loc.revision?.trim() || DEFAULT_REVISION);
  const prefix = loc.type === 'dataset' ? 'datasets/' : '';
  return `${base}/${prefix}${repo}/resolve/${rev}/${encodePath(path)}`;
}

/** The last path segment of a URL (for messages). */
export function fileNameOf(url: string): string {
  try {
    const p = new URL(url).pathname;
    return decodeURIComponent(p.slice(p.lastIndexOf('/') + 1));
  } catch {
    return url;
  }
}

/**
 * The `?hub=` URL parameter (the lab's way to point model and data loads at another Hub, e.g. the
 * local stand-in of the e2e suite): a normalised base URL, or undefined when absent. Throws
 * HubError('bad-source') for a value that is not an http(s) URL. For src/app's URL state.
 */
export function parseHubParam(search: string): string | undefined {
  const v = new URLSearchParams(search).get('hub');
  return v ? normalizeBaseUrl(v) : undefined;
}
