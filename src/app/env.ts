/**
 * The environment from the address, not part of the experiment: `?hub=` points Hub downloads at a
 * mirror or a local stand-in (the e2e suite's), parsed by the Hub module's own parser;
 * `?gpuMemoryGB=` tells the memory plan how much memory the GPU has (WebGPU does not report it).
 */
import { parseHubParam } from '../engine/hub/url';

let hub: string | undefined;
try {
  hub = typeof location === 'undefined' ? undefined : parseHubParam(location.search);
} catch {
  hub = undefined;
}

/** `{ baseUrl }` to spread into a Hub model or CIFAR data source, or nothing. */
export const hubBase = (): { baseUrl?: string } => (hub ? { baseUrl: hub } : {});

/** `?gpuMemoryGB=8` → bytes (GiB); undefined when absent or not a positive number. */
export function parseGpuMemory(search: string): number | undefined {
  const v = Number(new URLSearchParams(search).get('gpuMemoryGB'));
  return Number.isFinite(v) && v > 0 ? Math.round(v * 2 ** 30) : undefined;
}

export const gpuMemoryBytes = (): number | undefined => (typeof location === 'undefined' ? undefined : parseGpuMemory(location.search));
