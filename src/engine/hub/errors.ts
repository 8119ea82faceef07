/**
 * Typed errors of the Hub loaders (models, datasets, dropped files). Every message says what went
 * wrong in the user's terms and what to do about it; `code` is stable for the UI and the tests.
 *
 * A failed load never touches the model or data that was loaded before (the loaders build into new
 * objects and the caller swaps only on success), so each message can say "the previous model is
 * still loaded".
 */

export type HubErrorCode =
  /** HTTP 404 (or 401/403 on the Hub: a gated/private repo or a wrong name). */
  | 'not-found'
  /** Any other non-2xx HTTP status. */
  | 'http-error'
  /** fetch() itself failed: offline, DNS, CORS, connection reset. */
  | 'network'
  /** The body ended before Content-Length (or the file's own header) said it would. */
  | 'truncated'
  /** The server sent something other than the file: an HTML page instead of JSON, a Git LFS pointer… */
  | 'wrong-content'
  /** The weights file is not a readable safetensors file (see the cause for the exact reason). */
  | 'not-safetensors'
  /** config.json and the checkpoint's tensors describe different architectures. */
  | 'architecture-mismatch'
  /** Tensors missing / unexpected / mis-shaped for the config, with the same architecture. */
  | 'weights-mismatch'
  /** config.json is not a CLIP config this code can run. */
  | 'bad-config'
  /** tokenizer.json (or vocab.json + merges.txt) cannot be used with this checkpoint. */
  | 'bad-tokenizer'
  /** A required file is absent (e.g. no .safetensors among dropped files). */
  | 'missing-file'
  /** A repo id, revision or path that cannot be turned into a Hub URL. */
  | 'bad-source'
  /** A dataset file has the wrong columns / types, or an image does not decode. */
  | 'bad-dataset'
  /** The browser's storage quota refused to cache a file (the load itself may go on uncached). */
  | 'quota'
  /** The load was cancelled (AbortSignal). */
  | 'cancelled'
  /** The device cannot hold what was asked (see memory/plan.ts for the numbers). */
  | 'out-of-memory';

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly details: { url?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HubError';
  }
  get url(): string | undefined {
    return this.details.url;
  }
  get status(): number | undefined {
    return this.details.status;
  }
}

/** The sentence every load error ends with: nothing was replaced. */
export const KEEPS_PREVIOUS = 'Nothing was replaced: the previously loaded model and data are still in use.';

/** True for the DOMException / Error an aborted fetch or stream throws. */
export function isAbortError(e: unknown): boolean {
  return (
    (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'AbortError') ||
    (e instanceof HubError && e.code === 'cancelled')
  );
}

/** A QuotaExceededError from the Cache API / OPFS / IndexedDB (browsers name it differently). */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? '';
  const msg = String((e as { message?: string } | null)?.message ?? '');
  return name === 'QuotaExceededError' || /quota/i.test(msg);
}

export function cancelled(what: string): HubError {
  return new HubError('cancelled', `${what} was cancelled. ${KEEPS_PREVIOUS}`);
}

/** Throw HubError('cancelled') if the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(what);
}
