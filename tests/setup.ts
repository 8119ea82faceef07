// Unit tests run the engine in Node on the tfjs WASM backend (the CPU backend is ~30× slower).
import { initNodeBackend } from './nodeBackend';

await initNodeBackend((process.env.TBAR_TEST_BACKEND as 'wasm' | 'cpu') ?? 'wasm');
