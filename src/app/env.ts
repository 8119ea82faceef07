/**
 * The environment from the address, not part of the experiment: `?hub=` points Hub downloads at a
 * mirror or a local stand-in (the e2e suite's), parsed by the Hub module's own parser.
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
