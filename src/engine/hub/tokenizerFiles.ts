/**
 * A CLIP `tokenizer.json` from the "slow" tokenizer files `vocab.json` + `merges.txt` (repos that
 * ship no tokenizer.json). The result is what HF `tokenizers` writes for CLIPTokenizerFast (the
 * layout of ../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/tokenizer.json), so
 * ClipTokenizer.fromJSON reads it like any other.
 *
 * merges.txt: an optional "#version: …" first line, then one merge "left right" per line. HF's
 * CLIPTokenizer keeps merges[1 : 49152 − 256 − 2 + 1] of OpenAI's bpe file; the Hub's merges.txt
 * already holds exactly those 48,894 lines, so every non-comment, non-empty line is a merge.
 */
import { CLIP_BOS, CLIP_EOS, CLIP_SPLIT_PATTERN, TokenizerError } from '../clip/tokenizer';

export function tokenizerJsonFromVocabMerges(vocabJson: unknown, mergesText: string): Record<string, unknown> {
  if (typeof vocabJson !== 'object' || vocabJson === null || Array.isArray(vocabJson)) {
    throw new TokenizerError('invalid', 'vocab.json must be a JSON object {token: id}.');
  }
  const vocab = vocabJson as Record<string, number>;
  const merges: string[] = [];
  const lines = mergesText.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new TokenizerError('invalid', `merges.txt line ${i + 1} ${JSON.stringify(line.slice(0, 40))} is not "left right".`);
    merges.push(line);
  }
  const bos = vocab[CLIP_BOS];
  const eos = vocab[CLIP_EOS];
  if (typeof bos !== 'number' || typeof eos !== 'number') {
    throw new TokenizerError('invalid', `vocab.json has no ${CLIP_BOS} / ${CLIP_EOS}: it is not a CLIP vocabulary.`);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: bos, content: CLIP_BOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      { id: eos, content: CLIP_EOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [CLIP_EOS, eos], cls: [CLIP_BOS, bos], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
