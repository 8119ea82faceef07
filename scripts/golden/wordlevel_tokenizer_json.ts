/**
 * Writes tests/fixtures/tokenizer/wordlevel.tokenizer.json: the WordLevel tokenizer.json that
 * `buildWordLevelTokenizerJson` makes for a small word list (the 80 ImageNet templates + a few class
 * names). scripts/golden/wordlevel_golden.py then encodes prompts with it through Hugging Face
 * `tokenizers` (the reference implementation of the format); tests/tokenizer.test.ts checks that the
 * builder still produces this file and that ClipTokenizer encodes like `tokenizers` does.
 *
 *     npx tsx scripts/golden/wordlevel_tokenizer_json.ts
 */
import { writeFileSync } from 'node:fs';
import { buildWordLevelTokenizerJson } from '../../src/engine/clip/tokenizer';
import { IMAGENET_TEMPLATES } from '../../src/engine/clip/templates';

// tests/tokenizer.test.ts repeats this list (its deep-equal check fails if the two drift apart).
const WORDLEVEL_CLASS_NAMES = ['cat', 'golden retriever', 'half-track', "potter's wheel", 'T-shirt', 'airplane', 'truck'];

const json = buildWordLevelTokenizerJson([...IMAGENET_TEMPLATES, ...WORDLEVEL_CLASS_NAMES]);
writeFileSync('tests/fixtures/tokenizer/wordlevel.tokenizer.json', JSON.stringify(json, null, 1) + '\n');
console.log('wrote tests/fixtures/tokenizer/wordlevel.tokenizer.json');
