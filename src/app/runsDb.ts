/**
 * Finished runs in IndexedDB (plain API, no dependency), so a reload loses nothing. Every call
 * degrades to a no-op when IndexedDB is unavailable (private windows in some browsers): the lab then
 * works without history and says so.
 */
import type { RunRecord } from './runs';

const DB = 'tbar-lab';
const STORE = 'runs';
const VERSION = 1;

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (opening) return opening;
  opening = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('IndexedDB is not available in this browser'));
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('could not open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  opening.catch(() => (opening = null));
  return opening;
}

function tx<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  return open().then(
    (db) =>
      new Promise<T | undefined>((resolve, reject) => {
        const t = db.transaction(STORE, mode);
        const req = body(t.objectStore(STORE));
        t.oncomplete = () => resolve(req ? req.result : undefined);
        t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
        t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
      }),
  );
}

/** All stored runs, newest first. */
export async function loadRuns(): Promise<RunRecord[]> {
  const all = (await tx<RunRecord[]>('readonly', (s) => s.getAll())) ?? [];
  // Runs stored before DECREE existed have no `decree` field.
  return all.map((r) => ({ ...r, decree: r.decree ?? null })).sort((a, b) => b.createdAt - a.createdAt);
}

export async function saveRun(run: RunRecord): Promise<void> {
  await tx('readwrite', (s) => s.put(run));
}

export async function deleteRun(id: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(id));
}
