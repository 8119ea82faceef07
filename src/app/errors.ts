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

export function toUserError(e: unknown, what: string): UserError {
  const code = e instanceof JobError ? e.code : ((e as { code?: string })?.code ?? 'internal');
  const message = e instanceof Error ? e.message : String(e);
  const detail = message || null;
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
