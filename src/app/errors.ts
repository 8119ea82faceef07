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

/** What to do after each Hub/file loading failure (hub/errors.ts; its messages already say what happened). */
const HUB_ACTION: Record<string, string> = {
  'not-found': 'Check the repository name (owner/name, e.g. openai/clip-vit-base-patch32) and that it is public, then load again.',
  'http-error': 'The server refused the download: try again in a minute, or use another mirror (?hub=).',
  network: 'Check the connection (or the ?hub= mirror address), then load again. Files already downloaded stay cached.',
  truncated: 'The download was cut off: load again (it resumes from the cache where it can).',
  'wrong-content': 'The server sent something else than the file (a sign-in page?): check the mirror address and the repository.',
  'not-safetensors': 'Pick a .safetensors checkpoint (PyTorch .bin files are not supported).',
  'architecture-mismatch': 'Use the config.json that belongs to this checkpoint (or drop the checkpoint alone: the lab infers it).',
  'weights-mismatch': 'Use the config.json that belongs to this checkpoint.',
  'bad-config': 'This is not a CLIP checkpoint the lab can run: pick a CLIP (ViT) checkpoint.',
  'bad-tokenizer': 'Add the tokenizer.json (or vocab.json and merges.txt) that came with the checkpoint.',
  'missing-file': 'Pick the missing file as well (see the message), then load again.',
  'bad-source': 'Check the repository name: owner/name.',
  'bad-dataset': 'Check the files: one sub-folder per class, images that open in a browser.',
  quota: 'Free some browser storage (Clear cache in the Model panel), then load again.',
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
    return {
      code,
      title: message,
      action: HUB_ACTION[code] ?? 'Try again; if it keeps failing, report the message.',
      detail: null,
    };
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
