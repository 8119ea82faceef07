/**
 * FileSource over a folder on disk (Node only: tests and scripts). The app root's static files live in
 * public/, so `nodeFileSource()` reads 'models/micro-clip/config.json' from public/models/micro-clip/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceError, type FileSource } from '../../src/engine/experiment/sources';

export const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

export function nodeFileSource(root = PUBLIC_DIR): FileSource {
  return {
    async read(p, opts = {}) {
      const full = path.join(root, p);
      let buf: Buffer;
      try {
        buf = await readFile(full, { signal: opts.signal });
      } catch (e) {
        throw new SourceError('not-found', `could not read ${full}: ${(e as Error).message}`);
      }
      opts.onBytes?.(buf.byteLength, buf.byteLength);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}
