/**
 * Every failure in words a user understands, with what to do next. The panel that caused it shows it;
 * the rest of the lab keeps working.
 */
import { JobError } from '../worker/protocol';

export interface UserError {
  code: string;
  /** What happened, one short sentence. */
  title: string;
  /** What to do next. */
  action: string;
  /** The engine's own message, for the curious (shown folded). */
  detail: string | null;
}

const isOom = (code: string, msg: string) =>
  /out[- _]?of[- _]?memory|^oom$/i.test(code) ||
  /out of memory|failed to allocate|allocation failed|exceeds.*(memory|limit)/i.test(msg) ||
  /\bOOM\b/.test(msg);

/**
 * Headlines of the Hub/file loading failures (hub/errors.ts). The Hub's own message already says what
 * happened in detail, what to do, and that the previous model is still in use: it is the action text.
 */
const HUB_TITLE: Record<string, string> = {
  'not-found': 'the repository or one of its files was not found',
  'http-error': 'the server refused the download',
  network: 'the Hub (or the mirror) could not be reached',
  truncated: 'the download was cut off',
  'wrong-content': 'the server sent something other than the file',
  'not-safetensors': 'the weights are not a safetensors file the lab can read',
  'architecture-mismatch': 'the weights do not match config.json',
  'weights-mismatch': 'the weights do not match config.json',
  'bad-config': 'config.json is not a CLIP configuration the lab can run',
  'bad-tokenizer': 'the tokenizer does not fit this checkpoint',
  'missing-file': 'a file is missing',
  'bad-source': 'the repository name is not valid',
  'bad-dataset': 'the images or their labels could not be read',
  quota: 'the browser has no storage left for the cache',
  'out-of-memory': 'this device does not have the memory for this model',
};

export function toUserError(e: unknown, what: string): UserError {
  const code = e instanceof JobError ? e.code : ((e as { code?: string })?.code ?? 'internal');
  const message = e instanceof Error ? e.message : String(e);
  const detail = message || null;
  const remote = e instanceof JobError ? e.remoteName : ((e as { name?: string })?.name ?? '');
  if (remote === 'MemoryPlanError') {
    return {
      code,
      title: `This device does not have the memory for ${what.toLowerCase()}: ${message}`,
      action: 'Use a smaller model (the built-in micro CLIP, or ViT-B/32 instead of larger ones) or a device with more memory. If your GPU has more than the lab assumed, add ?gpuMemoryGB=<its size> to the address.',
      detail,
    };
  }
  if (remote === 'HubError' && code !== 'cancelled') {
    return { code, title: `${what} failed: ${HUB_TITLE[code] ?? 'see below'}.`, action: message, detail: null };
  }
  if (code === 'invalid-config') {
    return {
      code,
      title: `${what} cannot run with these settings: ${message.replace(/^invalid experiment configuration: /, '')}.`,
      action: 'Fix the setting named above (or open the lab without the link parameters to get the defaults).',
      detail,
    };
  }
  if (code === 'not-implemented') {
    return {
      code,
      title: `${what} is not available in this build yet: the engine for it has not landed.`,
      action: 'Try the interface with the mock engine (add ?mock=1 to the address), or update the lab.',
      detail,
    };
  }
  if (code === 'TRAINING_DIVERGED' || /diverged/i.test(message)) {
    const at = /step (\d+)/.exec(message)?.[1];
    return {
      code,
      title: `Training diverged${at ? ` at step ${at}` : ''}: the loss became NaN or infinite.`,
      action: 'Lower the learning rate (e.g. ÷10) or set gradient clipping to 1, then run this step again.',
      detail,
    };
  }
  if (/\bNaN\b|non-finite|not finite/.test(message)) {
    return {
      code,
      title: `${what} produced numbers that are not numbers (NaN): the model's weights blew up.`,
      action: 'Lower the learning rate of the step before (attack or TBAR, e.g. ÷10), or the α range, then run again.',
      detail,
    };
  }
  if (isOom(code, message)) {
    return {
      code,
      title: `${what} ran out of memory.`,
      action: 'Use a smaller batch size (halve it), close other GPU-heavy tabs, or use the built-in micro model.',
      detail,
    };
  }
  if (code === 'worker-crashed' || code === 'worker-terminated') {
    return {
      code,
      title: 'The engine stopped unexpectedly and was restarted.',
      action: 'Models in memory were lost: run this step again (Run everything redoes what is needed).',
      detail,
    };
  }
  if (code === 'stale-stage') {
    return {
      code,
      title: `${what} needs earlier steps that were run with other settings.`,
      action: 'Use Run everything: it reruns exactly the steps whose settings changed.',
      detail,
    };
  }
  if (code === 'device-lost' || /device (was )?lost/i.test(message)) {
    return {
      code,
      title: 'The GPU was lost (driver reset, sleep, or too much memory).',
      action: 'Restart the engine from the banner at the top, then run again.',
      detail,
    };
  }
  if (/fetch|network|HTTP \d|Failed to load/i.test(message)) {
    return {
      code,
      title: `${what} could not download what it needs.`,
      action: 'Check the connection (and the repository name), then try again.',
      detail,
    };
  }
  return {
    code,
    title: `${what} failed.`,
    action: 'Try again. If it fails again, reload the page (finished runs are kept) and report the message below.',
    detail,
  };
}
