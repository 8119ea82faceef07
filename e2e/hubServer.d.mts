// Types for e2e/hubServer.mjs (imported by the Vitest hub tests and the benchmark).
export declare const HUB_FIXTURES_DIR: string;
export declare const TOKENIZER_JSON: string;
export declare const HUB_FULL_FIXTURES_DIR: string;
export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
}
export interface HubServer {
  baseUrl: string;
  port: number;
  dir: string;
  requests: HubRequest[];
  close(): Promise<void>;
}
export declare function ensureHubFixtures(opts?: { dir?: string; full?: boolean }): string;
export declare function startHubServer(opts?: { dir?: string; port?: number; generate?: boolean }): Promise<HubServer>;
