/**
 * CLIP text tokenizer that reads a Hugging Face `tokenizer.json`.
 *
 * Two model types:
 *
 * 1. `BPE` with a byte-level pre-tokenizer and `end_of_word_suffix` (CLIP's byte-level BPE, 49,408
 *    tokens). Encoding follows OpenAI's `simple_tokenizer.py`, which is what CLIP was trained with:
 *      clean  ftfy.fix_text (ported except mojibake repair, see textClean.ts), html.unescape twice,
 *             collapse whitespace, strip, lower-case;
 *      split  CLIP's regex (CLIP-LAYOUT.md), case-insensitive like OpenAI's `re.IGNORECASE`;
 *      bytes  each piece's UTF-8 bytes through the GPT-2 bytes→unicode map, '</w>' on the last symbol;
 *      BPE    merge the lowest-ranked adjacent pair (all its occurrences, left to right) until none
 *             is in the merge table; results are cached per piece.
 *    Where the file and OpenAI agree we follow the file: vocabulary, merges, the suffix, the special
 *    tokens (post_processor / added_tokens). The file's own normalizer (NFC + `\s+`→' ' + Lowercase)
 *    is a subset of OpenAI's cleanup; the differences (each decided for OpenAI's algorithm):
 *      - HTML entities: OpenAI unescapes ("fish &amp; chips" → "fish & chips"), the file does not.
 *      - ftfy fixes (curly quotes → straight, ligatures, full-width forms, control characters): OpenAI
 *        only. NFC is in both (ftfy's last step).
 *      - An upper-case special-token literal ("<|ENDOFTEXT|>") is the special token for OpenAI (it
 *        lower-cases first); HF matches `<|endoftext|>` (normalized: false) before lower-casing and
 *        byte-level-splits the upper-case form into ordinary tokens.
 *    The pre-tokenizer's Split regex must be CLIP's (checked); its ByteLevel stage re-splits with
 *    GPT-2's regex, which cannot cut a CLIP piece further, so it is not run.
 * 2. `WordLevel` (the built-in micro CLIP): the file's normalizer and pre-tokenizer are interpreted
 *    (a documented subset of HF's, see `Normalizer` / `PreTokenizer` below); unknown words → unk.
 *
 * Rows from `tokenize` are `[bos, …encode(text), eos]`, cut to the context length like
 * `clip.tokenize(truncate=True)` (keep the first L ids, then set the last to eos) and padded with
 * `padId`. `padId` is the file's `padding.pad_id` when it declares one, else 0 as in OpenAI's
 * `clip.tokenize` (HF's CLIPTokenizer pads with <|endoftext|> instead; the text tower pools at the
 * end-of-text position, so the pad value does not change its output). `eotIndex` is the FIRST
 * position holding `eosId`, which is where HF (`(ids == eos).argmax()`) and OpenAI (`ids.argmax()`,
 * eos being the largest id) pool.
 */
import { clipCleanText } from './textClean';

export type TokenizerErrorCode = 'parse' | 'unsupported' | 'invalid' | 'input' | 'mismatch';

/** A tokenizer.json that cannot be used, or an input that cannot be tokenized. */
export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenizeResult {
  /** [n, contextLength] row-major token ids. */
  ids: Int32Array;
  /** [n] position of the (first) end-of-text token in each row: where the text tower pools. */
  eotIndex: Int32Array;
  n: number;
  contextLength: number;
}

export interface ClipTokenizerOptions {
  /** Override the padding id (default: the file's padding.pad_id, else 0 as OpenAI). */
  padId?: number;
}

export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';
export const CLIP_CONTEXT_LENGTH = 77;
/** Ids at or above this are refused (a vocabulary this large is a corrupt file, not a tokenizer). */
const MAX_VOCAB_ID = 1 << 24;

/** CLIP's pre-tokenizer pattern exactly as HF's tokenizer.json spells it (Split, Regex). */
export const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
/** The same in JS: OpenAI compiles it with IGNORECASE; the regex module's `\s` is White_Space. */
const CLIP_SPLIT_RE =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}]+/giu;

// ------------------------------------------------------------------ small JSON helpers

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function fail(code: TokenizerErrorCode, msg: string): never {
  throw new TokenizerError(code, msg);
}

/** GPT-2/CLIP reversible map: byte → printable unicode char (printable bytes map to themselves). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  return map;
}

// ------------------------------------------------------------------ special tokens

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

function readAddedTokens(json: Json): AddedToken[] {
  const raw = json.added_tokens ?? [];
  if (!Array.isArray(raw)) fail('invalid', 'tokenizer.json: "added_tokens" must be an array.');
  return raw.map((t, i) => {
    if (!isObj(t) || !isId(t.id) || typeof t.content !== 'string')
      fail('invalid', `tokenizer.json: added_tokens[${i}] needs an integer "id" and a string "content".`);
    return { id: t.id, content: t.content, special: t.special === true };
  });
}

/** [bos, eos] token strings/ids named by a post_processor, if it names them. */
function postProcessorSpecials(pp: unknown): { bos?: [string, number]; eos?: [string, number] } {
  if (!isObj(pp)) return {};
  const pair = (v: unknown): [string, number] | undefined =>
    Array.isArray(v) && typeof v[0] === 'string' && isId(v[1]) ? [v[0], v[1]] : undefined;
  switch (pp.type) {
    case 'RobertaProcessing':
    case 'BertProcessing':
      return { bos: pair(pp.cls), eos: pair(pp.sep) };
    case 'TemplateProcessing': {
      const single = Array.isArray(pp.single) ? pp.single : [];
      const specials = isObj(pp.special_tokens) ? pp.special_tokens : {};
      const resolve = (name: string): [string, number] | undefined => {
        const st = specials[name];
        if (isObj(st) && Array.isArray(st.ids) && st.ids.length === 1 && isId(st.ids[0])) return [name, st.ids[0]];
        return undefined;
      };
      let bos: [string, number] | undefined;
      let eos: [string, number] | undefined;
      let seenSeq = false;
      for (const piece of single) {
        if (!isObj(piece)) continue;
        if (isObj(piece.Sequence)) seenSeq = true;
        else if (isObj(piece.SpecialToken) && typeof piece.SpecialToken.id === 'string') {
          const r = resolve(piece.SpecialToken.id);
          if (!seenSeq && !bos) bos = r;
          if (seenSeq && !eos) eos = r;
        }
      }
      return { bos, eos };
    }
    case 'Sequence': {
      const procs = Array.isArray(pp.processors) ? pp.processors : [];
      for (const p of procs) {
        const r = postProcessorSpecials(p);
        if (r.bos || r.eos) return r;
      }
      return {};
    }
    default:
      return {};
  }
}

// ------------------------------------------------------------------ WordLevel normalizer / pre-tokenizer

type Normalizer = (s: string) => string;
type PreTokenizer = (pieces: string[]) => string[];

/** HF `pattern` field ({String} or {Regex}) → global JS regex. */
function patternRegex(p: unknown, where: string): RegExp {
  if (isObj(p) && typeof p.String === 'string') return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  if (isObj(p) && typeof p.Regex === 'string') {
    try {
      return new RegExp(p.Regex, 'gu');
    } catch (e) {
      fail('unsupported', `tokenizer.json: ${where} regex ${JSON.stringify(p.Regex)} is not valid in JavaScript: ${(e as Error).message}`);
    }
  }
  fail('invalid', `tokenizer.json: ${where} needs "pattern": {"String": …} or {"Regex": …}.`);
}

function buildNormalizer(n: unknown): Normalizer {
  if (n === null || n === undefined) return (s) => s;
  if (!isObj(n)) fail('invalid', 'tokenizer.json: "normalizer" must be an object or null.');
  switch (n.type) {
    case 'Sequence': {
      if (!Array.isArray(n.normalizers)) fail('invalid', 'tokenizer.json: Sequence normalizer needs "normalizers".');
      const list = n.normalizers.map(buildNormalizer);
      return (s) => list.reduce((acc, f) => f(acc), s);
    }
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = n.type;
      return (s) => s.normalize(form);
    }
    case 'StripAccents':
      return (s) => s.normalize('NFD').replace(/\p{Mn}/gu, '');
    case 'Strip': {
      const left = n.strip_left !== false;
      const right = n.strip_right !== false;
      return (s) => (left ? s.replace(/^\p{White_Space}+/u, '') : s).replace(right ? /\p{White_Space}+$/u : /$^/, '');
    }
    case 'Replace': {
      const re = patternRegex(n.pattern, 'Replace normalizer');
      const content = typeof n.content === 'string' ? n.content : '';
      return (s) => s.replace(re, () => content);
    }
    default:
      fail('unsupported', `tokenizer.json: normalizer type ${JSON.stringify(n.type)} is not supported ` +
        '(supported: Sequence, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, Replace).');
  }
}

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** HF's split-with-behaviour on one piece; `isDelim` spans come from `re` (flipped when invert). */
function splitWith(piece: string, re: RegExp, behavior: Behavior, invert = false): string[] {
  const spans: Array<[number, number, boolean]> = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of piece.matchAll(re)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (end === start) continue;
    if (start > last) spans.push([last, start, invert]);
    spans.push([start, end, !invert]);
    last = end;
  }
  if (last < piece.length) spans.push([last, piece.length, invert]);
  const out: string[] = [];
  let carry = ''; // MergedWithNext
  let prevDelim = false; // Contiguous
  for (const [a, b, delim] of spans) {
    const s = piece.slice(a, b);
    if (!delim) {
      out.push(carry + s);
      carry = '';
    } else if (behavior === 'Removed') {
      // dropped
    } else if (behavior === 'Isolated') out.push(s);
    else if (behavior === 'MergedWithPrevious' && out.length > 0 && !prevDelim) out[out.length - 1] += s;
    else if (behavior === 'MergedWithNext') carry += s;
    else if (behavior === 'Contiguous' && prevDelim) out[out.length - 1] += s;
    else out.push(s);
    prevDelim = delim;
  }
  if (carry) out.push(carry);
  return out.filter((s) => s.length > 0);
}

const BEHAVIORS: readonly Behavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];
function behaviorOf(v: unknown, dflt: Behavior): Behavior {
  if (v === undefined) return dflt;
  if (typeof v === 'string' && (BEHAVIORS as readonly string[]).includes(v)) return v as Behavior;
  fail('invalid', `tokenizer.json: unknown split behavior ${JSON.stringify(v)} (expected one of ${BEHAVIORS.join(', ')}).`);
}

// Rust char::is_whitespace == White_Space; HF's is_punctuation = ASCII punctuation or Unicode P*.
const WS_RE = /\p{White_Space}+/gu;
const PUNCT_RE = /[\p{P}!-/:-@[-`{-~]/gu;
// HF Whitespace pre-tokenizer: \w+|[^\w\s]+ with Unicode \w.
const WHITESPACE_PT_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+/gu;
const DIGIT_RE = /\p{Nd}/gu;
const DIGITS_RE = /\p{Nd}+/gu;

function buildPreTokenizer(p: unknown): PreTokenizer {
  if (p === null || p === undefined) return (pieces) => pieces;
  if (!isObj(p)) fail('invalid', 'tokenizer.json: "pre_tokenizer" must be an object or null.');
  const each = (f: (s: string) => string[]): PreTokenizer => (pieces) => pieces.flatMap(f);
  switch (p.type) {
    case 'Sequence': {
      if (!Array.isArray(p.pretokenizers)) fail('invalid', 'tokenizer.json: Sequence pre_tokenizer needs "pretokenizers".');
      const list = p.pretokenizers.map(buildPreTokenizer);
      return (pieces) => list.reduce((acc, f) => f(acc), pieces);
    }
    case 'WhitespaceSplit':
      return each((s) => splitWith(s, WS_RE, 'Removed'));
    case 'Whitespace':
      return each((s) => splitWith(s, WHITESPACE_PT_RE, 'Removed', true));
    case 'BertPreTokenizer':
      return each((s) => splitWith(s, WS_RE, 'Removed').flatMap((w) => splitWith(w, PUNCT_RE, 'Isolated')));
    case 'Punctuation': {
      const b = behaviorOf(p.behavior, 'Isolated');
      return each((s) => splitWith(s, PUNCT_RE, b));
    }
    case 'Digits': {
      const re = p.individual_digits === true ? DIGIT_RE : DIGITS_RE;
      return each((s) => splitWith(s, re, 'Isolated'));
    }
    case 'Split': {
      const re = patternRegex(p.pattern, 'Split pre_tokenizer');
      const b = behaviorOf(p.behavior, 'Removed');
      const invert = p.invert === true;
      return each((s) => splitWith(s, re, b, invert));
    }
    default:
      fail('unsupported', `tokenizer.json: pre_tokenizer type ${JSON.stringify(p.type)} is not supported for WordLevel ` +
        '(supported: Sequence, WhitespaceSplit, Whitespace, BertPreTokenizer, Punctuation, Digits, Split).');
  }
}

// ------------------------------------------------------------------ the tokenizer

interface Core {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

export class ClipTokenizer {
  readonly modelType: 'BPE' | 'WordLevel';
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number | undefined;
  /** 1 + the largest id in the vocabulary and added tokens (= text embedding rows). */
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly core: Core;

  private constructor(f: {
    modelType: 'BPE' | 'WordLevel';
    bosId: number;
    eosId: number;
    padId: number;
    unkId: number | undefined;
    vocabSize: number;
    vocab: Map<string, number>;
    core: Core;
  }) {
    this.modelType = f.modelType;
    this.bosId = f.bosId;
    this.eosId = f.eosId;
    this.padId = f.padId;
    this.unkId = f.unkId;
    this.vocabSize = f.vocabSize;
    this.vocab = f.vocab;
    this.core = f.core;
  }

  /** Build from a parsed tokenizer.json object (or its text). Throws TokenizerError when malformed. */
  static fromJSON(json: unknown, opts: ClipTokenizerOptions = {}): ClipTokenizer {
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json);
      } catch (e) {
        fail('parse', `tokenizer.json is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (!isObj(json)) fail('parse', 'tokenizer.json must be a JSON object (the Hugging Face tokenizers format).');
    const model = json.model;
    if (!isObj(model)) fail('invalid', 'tokenizer.json has no "model" object.');
    const type = model.type ?? (model.merges !== undefined ? 'BPE' : undefined);
    if (type !== 'BPE' && type !== 'WordLevel')
      fail('unsupported', `tokenizer.json model.type ${JSON.stringify(type)} is not supported (supported: BPE for CLIP, WordLevel).`);

    // vocabulary (token → id) and added tokens
    if (!isObj(model.vocab)) fail('invalid', 'tokenizer.json: model.vocab must be an object {token: id}.');
    const vocab = new Map<string, number>();
    let maxId = -1;
    const rawVocab = model.vocab;
    for (const tok in rawVocab) {
      // for…in, not Object.entries: 3× faster on CLIP's 49,408 entries
      if (!Object.prototype.hasOwnProperty.call(rawVocab, tok)) continue;
      const id = rawVocab[tok];
      if (!isId(id)) fail('invalid', `tokenizer.json: model.vocab[${JSON.stringify(tok)}] is ${JSON.stringify(id)}, not a non-negative integer.`);
      vocab.set(tok, id);
      if (id > maxId) maxId = id;
    }
    if (vocab.size === 0) fail('invalid', 'tokenizer.json: model.vocab is empty.');
    const added = readAddedTokens(json);
    for (const t of added) {
      const have = vocab.get(t.content);
      if (have !== undefined && have !== t.id)
        fail('invalid', `tokenizer.json: added token ${JSON.stringify(t.content)} has id ${t.id} but the vocab says ${have}.`);
      vocab.set(t.content, t.id);
      if (t.id > maxId) maxId = t.id;
    }
    if (maxId >= MAX_VOCAB_ID)
      fail('invalid', `tokenizer.json: token id ${maxId} is implausibly large (ids must be below ${MAX_VOCAB_ID}).`);
    const vocabSize = maxId + 1;
    // id → token; a packed, pre-sized array (filling a growing sparse one costs ~70 ms for CLIP)
    const idToToken = new Array<string | null>(vocabSize).fill(null);
    for (const [tok, id] of vocab) if (idToToken[id] === null) idToToken[id] = tok;

    // special tokens: post_processor first, then added_tokens/vocab by CLIP's names
    const pp = postProcessorSpecials(json.post_processor);
    const special = (which: string, fromPp: [string, number] | undefined, name: string): number => {
      if (fromPp) {
        const [tok, id] = fromPp;
        const have = vocab.get(tok);
        if (have !== undefined && have !== id)
          fail('invalid', `tokenizer.json: post_processor gives ${which} ${JSON.stringify(tok)} id ${id} but the vocab says ${have}.`);
        if (id >= vocabSize) fail('invalid', `tokenizer.json: ${which} id ${id} is outside the vocabulary (size ${vocabSize}).`);
        return id;
      }
      const id = vocab.get(name);
      if (id === undefined)
        fail('invalid', `tokenizer.json declares no ${which} token: no post_processor names one and ${JSON.stringify(name)} is not in the vocabulary or added_tokens.`);
      return id;
    };
    const bosId = special('start-of-text', pp.bos, CLIP_BOS);
    const eosId = special('end-of-text', pp.eos, CLIP_EOS);

    let unkId: number | undefined;
    if (model.unk_token !== undefined && model.unk_token !== null) {
      if (typeof model.unk_token !== 'string') fail('invalid', 'tokenizer.json: model.unk_token must be a string.');
      unkId = vocab.get(model.unk_token);
      if (unkId === undefined) fail('invalid', `tokenizer.json: model.unk_token ${JSON.stringify(model.unk_token)} is not in the vocabulary.`);
    }

    let padId = 0;
    if (isObj(json.padding) && isId(json.padding.pad_id)) padId = json.padding.pad_id;
    if (opts.padId !== undefined) padId = opts.padId;
    if (!isId(padId) || padId >= vocabSize) fail('invalid', `pad id ${padId} is outside the vocabulary (size ${vocabSize}).`);

    const core =
      type === 'BPE'
        ? buildClipBpe(json, model, vocab, idToToken, unkId)
        : buildWordLevel(json, vocab, idToToken, added, unkId);
    return new ClipTokenizer({ modelType: type, bosId, eosId, padId, unkId, vocabSize, vocab, core });
  }

  /** Token ids of one text, without start/end tokens and without truncation. */
  encode(text: string): number[] {
    if (typeof text !== 'string') fail('input', `encode expects a string, got ${typeof text}.`);
    return this.core.encode(text);
  }

  /**
   * Rows `[bos, …encode(text), eos]`, truncated like clip.tokenize(truncate=True) (first L ids, the
   * last set to eos) and padded with padId.
   */
  tokenize(texts: readonly string[], contextLength = CLIP_CONTEXT_LENGTH): TokenizeResult {
    if (!Array.isArray(texts)) fail('input', 'tokenize expects an array of strings.');
    if (!Number.isInteger(contextLength) || contextLength < 2)
      fail('input', `context length must be an integer ≥ 2 (room for the start and end tokens), got ${contextLength}.`);
    const n = texts.length;
    const L = contextLength;
    const ids = new Int32Array(n * L);
    if (this.padId !== 0) ids.fill(this.padId);
    const eotIndex = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const body = this.encode(texts[r]);
      const len = Math.min(body.length + 2, L);
      const off = r * L;
      ids[off] = this.bosId;
      const take = len - 2; // body ids that fit before the final eos
      for (let i = 0; i < take; i++) ids[off + 1 + i] = body[i];
      ids[off + len - 1] = this.eosId;
      let e = 0;
      while (ids[off + e] !== this.eosId) e++; // first eos (a literal "<|endoftext|>" can come earlier)
      eotIndex[r] = e;
    }
    return { ids, eotIndex, n, contextLength: L };
  }

  /**
   * Text of token ids: a leading start token is dropped and decoding stops at the first end-of-text
   * token (so a padded row from `tokenize` decodes cleanly). BPE: as OpenAI's decode ('</w>' → ' ',
   * invalid UTF-8 → U+FFFD) with the trailing space trimmed; WordLevel: tokens joined by spaces.
   */
  decode(ids: ArrayLike<number>): string {
    const list: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (i === 0 && id === this.bosId) continue;
      if (id === this.eosId) break;
      list.push(id);
    }
    return this.core.decode(list);
  }

  /**
   * Check this tokenizer against the text tower's config (HF `text_config`, defaults as HF's
   * CLIPTextConfig): every id must index the token embedding (vocabSize ≤ vocab_size). Returns the
   * context length to tokenize with (max_position_embeddings, 77 for CLIP). The config's
   * bos/eos/pad_token_id are not compared: OpenAI-converted configs carry legacy values (0/2/1).
   */
  checkTextConfig(textConfig: { vocab_size?: number; max_position_embeddings?: number } = {}): number {
    const vocab = textConfig.vocab_size ?? 49408;
    const positions = textConfig.max_position_embeddings ?? CLIP_CONTEXT_LENGTH;
    if (this.vocabSize > vocab)
      fail('mismatch', `tokenizer.json has ids up to ${this.vocabSize - 1} but the text model's vocab_size is ${vocab}: this tokenizer does not belong to this checkpoint.`);
    if (!Number.isInteger(positions) || positions < 2)
      fail('mismatch', `text_config.max_position_embeddings ${positions} leaves no room for start and end tokens.`);
    return positions;
  }

  /** id of a token string (vocabulary or added token). */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }
}

// ------------------------------------------------------------------ CLIP byte-level BPE core

function checkClipPreTokenizer(p: unknown): void {
  // Accept CLIP's Sequence[Split(CLIP regex), ByteLevel] or a bare ByteLevel; anything else would
  // split text differently from CLIP, so refuse it rather than return other ids silently.
  const list = isObj(p) && p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? p.pretokenizers : [p];
  let byteLevel = false;
  for (const q of list) {
    if (!isObj(q)) fail('invalid', 'tokenizer.json: pre_tokenizer entries must be objects.');
    if (q.type === 'ByteLevel') byteLevel = true;
    else if (q.type === 'Split') {
      const pat = isObj(q.pattern) ? q.pattern.Regex : undefined;
      if (pat !== CLIP_SPLIT_PATTERN)
        fail('unsupported', `tokenizer.json: BPE pre_tokenizer splits with ${JSON.stringify(pat ?? q.pattern)}, not CLIP's pattern; only CLIP's byte-level BPE is supported.`);
    } else fail('unsupported', `tokenizer.json: BPE pre_tokenizer ${JSON.stringify(q.type)} is not CLIP's (Split + ByteLevel).`);
  }
  if (!byteLevel) fail('unsupported', 'tokenizer.json: BPE without a ByteLevel pre_tokenizer is not a CLIP tokenizer.');
}

function buildClipBpe(
  json: Json,
  model: Json,
  vocab: Map<string, number>,
  idToToken: ReadonlyArray<string | null>,
  unkId: number | undefined,
): Core {
  checkClipPreTokenizer(json.pre_tokenizer);
  const suffix = model.end_of_word_suffix;
  if (typeof suffix !== 'string' || suffix === '')
    fail('unsupported', 'tokenizer.json: BPE model has no end_of_word_suffix; CLIP\'s BPE marks word ends with "</w>".');
  if (typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix !== '')
    fail('unsupported', 'tokenizer.json: BPE continuing_subword_prefix is not used by CLIP.');
  if (!Array.isArray(model.merges)) fail('invalid', 'tokenizer.json: model.merges must be an array.');

  const ranks = new Map<string, number>();
  const merges = model.merges as unknown[];
  for (let i = 0; i < merges.length; i++) {
    const m = merges[i];
    let key: string;
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp <= 0 || sp === m.length - 1 || m.indexOf(' ', sp + 1) !== -1)
        fail('invalid', `tokenizer.json: merges[${i}] ${JSON.stringify(m)} is not "left right".`);
      key = m;
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      key = m[0] + ' ' + m[1];
    } else fail('invalid', `tokenizer.json: merges[${i}] must be "left right" or ["left", "right"].`);
    if (!ranks.has(key)) ranks.set(key, i); // first occurrence wins (lowest rank)
  }

  const byteMap = bytesToUnicode();
  for (const c of byteMap)
    if (!vocab.has(c) || !vocab.has(c + suffix))
      fail('invalid', `tokenizer.json: the byte-level alphabet is incomplete (${JSON.stringify(c)} or ${JSON.stringify(c + suffix)} missing from the vocabulary).`);
  const byteDecoder = new Map<string, number>(byteMap.map((c, b) => [c, b] as [string, number]));

  // literal special strings in the text (OpenAI: the split regex + bpe cache keep them whole)
  const literal = new Map<string, number>();
  for (const s of [CLIP_BOS, CLIP_EOS]) {
    const id = vocab.get(s);
    if (id !== undefined) literal.set(s, id);
  }

  const utf8 = new TextEncoder();
  const cache = new Map<string, number[]>();
  const CACHE_MAX = 100_000;

  const lookup = (tok: string): number => {
    const id = vocab.get(tok);
    if (id !== undefined) return id;
    if (unkId !== undefined) return unkId;
    fail('invalid', `tokenizer.json: BPE produced ${JSON.stringify(tok)}, which is not in the vocabulary, and there is no unk_token.`);
  };

  const bpePiece = (piece: string): number[] => {
    const hit = cache.get(piece);
    if (hit) return hit;
    const lit = literal.get(piece);
    if (lit !== undefined) return [lit];
    const bytes = utf8.encode(piece);
    let word: string[] = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) word[i] = byteMap[bytes[i]];
    word[word.length - 1] += suffix;
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = ranks.get(word[i] + ' ' + word[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i];
          second = word[i + 1];
        }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
    }
    const ids = word.map(lookup);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(piece, ids);
    return ids;
  };

  const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
  return {
    encode(text: string): number[] {
      const clean = clipCleanText(text);
      const out: number[] = [];
      for (const m of clean.matchAll(CLIP_SPLIT_RE)) {
        const ids = bpePiece(m[0]);
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      }
      return out;
    },
    decode(ids: number[]): string {
      const bytes: number[] = [];
      for (const id of ids) {
        const tok = idToToken[id];
        if (tok === null || tok === undefined) fail('input', `decode: id ${id} is not in the vocabulary.`);
        for (const ch of tok) {
          const b = byteDecoder.get(ch);
          if (b === undefined) {
            // a special token's text (e.g. "<|startoftext|>" mid-sequence): its chars are plain ASCII
            for (const x of utf8.encode(ch)) bytes.push(x);
          } else bytes.push(b);
        }
      }
      return utf8Decoder.decode(new Uint8Array(bytes)).split(suffix).join(' ').trimEnd();
    },
  };
}

// ------------------------------------------------------------------ WordLevel core

function buildWordLevel(
  json: Json,
  vocab: Map<string, number>,
  idToToken: ReadonlyArray<string | null>,
  added: AddedToken[],
  unkId: number | undefined,
): Core {
  if (unkId === undefined) fail('invalid', 'tokenizer.json: a WordLevel model needs "unk_token" (words outside the vocabulary map to it).');
  const normalize = buildNormalizer(json.normalizer);
  const preTokenize = buildPreTokenizer(json.pre_tokenizer);
  // Added tokens are matched in the raw text first (longest first), as HF does for normalized: false.
  const addedSorted = added.map((t) => t.content).filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
  const addedRe = addedSorted.length
    ? new RegExp(addedSorted.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu')
    : null;
  const encodeChunk = (s: string, out: number[]): void => {
    for (const w of preTokenize([normalize(s)])) out.push(vocab.get(w) ?? unkId);
  };
  return {
    encode(text: string): number[] {
      const out: number[] = [];
      if (!addedRe) {
        encodeChunk(text, out);
        return out;
      }
      let last = 0;
      for (const m of text.matchAll(addedRe)) {
        const i = m.index ?? 0;
        if (i > last) encodeChunk(text.slice(last, i), out);
        out.push(vocab.get(m[0]) as number);
        last = i + m[0].length;
      }
      if (last < text.length) encodeChunk(text.slice(last), out);
      return out;
    },
    decode(ids: number[]): string {
      return ids
        .map((id) => {
          const t = idToToken[id];
          if (t === null || t === undefined) fail('input', `decode: id ${id} is not in the vocabulary.`);
          return t;
        })
        .join(' ');
    },
  };
}

// ------------------------------------------------------------------ building a WordLevel tokenizer.json

export interface WordLevelBuildOptions {
  /** Token at id 0 used for padding (default "<|pad|>"). */
  padToken?: string;
  /** Token for words outside the vocabulary (default "<|unk|>"). */
  unkToken?: string;
  bosToken?: string;
  eosToken?: string;
}

/**
 * A valid Hugging Face tokenizer.json (WordLevel) whose vocabulary holds every word of `words`.
 * Entries may be single words or whole prompts: each is lower-cased and split like the tokenizer
 * will split text (whitespace, then punctuation isolated), so "a photo of a {}." contributes
 * a/photo/of/{/}/. and any prompt built from the same pieces has no unknown word.
 *
 * Ids: 0 = pad, 1 = unk, then the words in first-seen order, then <|startoftext|>, and
 * <|endoftext|> LAST (the largest id), so argmax-of-ids pooling finds it as for CLIP's vocabulary.
 */
export function buildWordLevelTokenizerJson(words: readonly string[], opts: WordLevelBuildOptions = {}): Record<string, unknown> {
  const pad = opts.padToken ?? '<|pad|>';
  const unk = opts.unkToken ?? '<|unk|>';
  const bos = opts.bosToken ?? CLIP_BOS;
  const eos = opts.eosToken ?? CLIP_EOS;
  const specials = [pad, unk, bos, eos];
  if (new Set(specials).size !== 4) fail('input', 'buildWordLevelTokenizerJson: pad, unk, bos and eos tokens must differ.');
  const normalizer = { type: 'Lowercase' };
  const preTokenizer = {
    type: 'Sequence',
    pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Isolated' }],
  };
  const norm = buildNormalizer(normalizer);
  const pre = buildPreTokenizer(preTokenizer);
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (w: string): void => {
    if (!Object.prototype.hasOwnProperty.call(vocab, w)) vocab[w] = next++;
  };
  add(pad);
  add(unk);
  const specialSet = new Set(specials);
  for (const entry of words) {
    if (typeof entry !== 'string') fail('input', 'buildWordLevelTokenizerJson: words must be strings.');
    for (const w of pre([norm(entry)])) if (!specialSet.has(w)) add(w);
  }
  const bosId = next++;
  const eosId = next++;
  vocab[bos] = bosId;
  vocab[eos] = eosId;
  const addedToken = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: { strategy: 'BatchLongest', direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: pad },
    added_tokens: [addedToken(0, pad), addedToken(1, unk), addedToken(bosId, bos), addedToken(eosId, eos)],
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: eos, type_id: 1 } },
      ],
      special_tokens: {
        [bos]: { id: bos, ids: [bosId], tokens: [bos] },
        [eos]: { id: eos, ids: [eosId], tokens: [eos] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: unk },
  };
}
