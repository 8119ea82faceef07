/**
 * CLIP's text cleanup, as OpenAI's `simple_tokenizer.py` does it before BPE:
 *
 *     basic_clean:      ftfy.fix_text(text) → html.unescape(html.unescape(text)) → strip()
 *     whitespace_clean: regex.sub(r'\s+', ' ', text) → strip()
 *     then              .lower()
 *
 * Ported pieces and their fidelity:
 * - `pyHtmlUnescape` is Python's `html.unescape` exactly (same reference regex, all 2,231 HTML5 names,
 *   legacy names without ';' by longest prefix, HTML5's numeric remapping table).
 * - `ftfyFixText` is ftfy 6.3.1 `fix_text` with its default config, EXCEPT `fix_encoding` (mojibake
 *   repair — "cafÃ©" → "café" — a heuristic codec search that is out of scope here). Everything else is
 *   ported: per-line segments, the "auto" HTML unescape (skipped from the first line containing '<'
 *   on, repeated until the text is stable), fix_c1_controls, fix_latin_ligatures,
 *   fix_character_width, uncurl_quotes, fix_line_breaks, fix_surrogates, remove_terminal_escapes,
 *   remove_control_chars and NFC, looped until nothing changes. Only text with mojibake tokenizes
 *   differently from OpenAI's (tests/fixtures/tokenizer/golden.json marks those prompts).
 * - Whitespace: the `regex` module's `\s` is Unicode White_Space (JS `\s` differs: it lacks U+0085 and
 *   adds U+FEFF), Python's `str.strip()` strips `str.isspace()` characters (White_Space + U+001C–1F).
 * The data tables come from Python/ftfy through scripts/golden/clip_text_tables.py (textTables.ts).
 */
import {
  CONTROL_CHAR_RANGES,
  HTML5_ENTITIES_PACKED,
  INVALID_CHARREFS,
  INVALID_CODEPOINT_RANGES,
  LIGATURES,
  WIDTH_MAP_PACKED,
} from './textTables';

// ------------------------------------------------------------------ tables (built on first use)

interface Tables {
  /** html.entities.html5: 'amp;' → '&', legacy 'amp' → '&'. */
  html5: Map<string, string>;
  invalidCharrefs: Map<number, string>;
  /** ftfy's HTML_ENTITIES: '&amp;' → '&' plus upper-case variants such as '&EACUTE;' → 'É'. */
  ftfyEntities: Map<string, string>;
  ligatures: Map<string, string>;
  width: Map<string, string>;
  c1: Map<string, string>;
  ligatureRe: RegExp;
  controlRe: RegExp;
}

let tables: Tables | null = null;

const fromHex = (h: string): string => String.fromCodePoint(...h.split('+').map((x) => parseInt(x, 16)));
const rangeClass = (ranges: ReadonlyArray<readonly [number, number]>): string =>
  ranges.map(([a, b]) => (a === b ? `\\u{${a.toString(16)}}` : `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`)).join('');

function getTables(): Tables {
  if (tables) return tables;
  const html5 = new Map<string, string>();
  for (const item of HTML5_ENTITIES_PACKED.split(' ')) {
    const colon = item.indexOf(':');
    let name = item.slice(0, colon);
    const value = fromHex(item.slice(colon + 1));
    if (name.endsWith('*')) {
      name = name.slice(0, -1);
      html5.set(name, value);
    }
    html5.set(name + ';', value);
  }
  const invalidCharrefs = new Map<number, string>(INVALID_CHARREFS.map(([k, v]) => [k, v] as [number, string]));
  const t: Tables = {
    html5,
    invalidCharrefs,
    ftfyEntities: new Map(),
    ligatures: new Map(LIGATURES.map(([k, v]) => [String.fromCodePoint(k), v] as [string, string])),
    width: new Map(
      WIDTH_MAP_PACKED.split(' ').map((p) => {
        const [from, to] = p.split(':');
        return [String.fromCodePoint(parseInt(from, 16)), fromHex(to)] as [string, string];
      }),
    ),
    c1: new Map(
      [...invalidCharrefs].filter(([k]) => k >= 0x80 && k <= 0x9f).map(([k, v]) => [String.fromCharCode(k), v] as [string, string]),
    ),
    ligatureRe: new RegExp(`[${LIGATURES.map(([k]) => `\\u{${k.toString(16)}}`).join('')}]`, 'gu'),
    controlRe: new RegExp(`[${rangeClass(CONTROL_CHAR_RANGES)}]`, 'gu'),
  };
  tables = t;
  // ftfy chardata._build_html_entities (needs pyHtmlUnescape, hence after `tables` is set).
  for (const [name, value] of html5) {
    if (!name.endsWith(';')) continue;
    t.ftfyEntities.set('&' + name, value);
    if (name === name.toLowerCase()) {
      const upper = '&' + name.toUpperCase();
      if (pyHtmlUnescape(upper) === upper) t.ftfyEntities.set(upper, value.toUpperCase());
    }
  }
  return t;
}

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [a, b] of ranges) if (cp >= a && cp <= b) return true;
  return false;
}

// ------------------------------------------------------------------ Python html.unescape

const CHARREF_RE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function replaceCharref(s: string): string {
  const t = getTables();
  if (s[0] === '#') {
    const hex = s[1] === 'x' || s[1] === 'X';
    const digits = s.slice(hex ? 2 : 1).replace(/;$/, '');
    const num = parseInt(digits, hex ? 16 : 10); // huge values become big floats / Infinity: > 0x10FFFF
    const remapped = t.invalidCharrefs.get(num);
    if (remapped !== undefined) return remapped;
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\uFFFD';
    if (inRanges(num, INVALID_CODEPOINT_RANGES)) return '';
    return String.fromCodePoint(num);
  }
  const direct = t.html5.get(s);
  if (direct !== undefined) return direct;
  // Longest legacy name that prefixes s (Python: for x in range(len(s)-1, 1, -1)). Matching names are
  // ASCII, so UTF-16 slicing finds the same prefix as Python's code-point slicing.
  for (let x = s.length - 1; x > 1; x--) {
    const v = t.html5.get(s.slice(0, x));
    if (v !== undefined) return v + s.slice(x);
  }
  return '&' + s;
}

/** Python's `html.unescape`. */
export function pyHtmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(CHARREF_RE, (_m, ref: string) => replaceCharref(ref));
}

// ------------------------------------------------------------------ ftfy 6.3.1 fix_text (minus fix_encoding)

const FTFY_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy.fixes.unescape_html: only ';'-terminated references, plus upper-cased Latin names. */
function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  const t = getTables();
  return text.replace(FTFY_ENTITY_RE, (m) => {
    const v = t.ftfyEntities.get(m);
    if (v !== undefined) return v;
    if (m.startsWith('&#')) {
      const u = pyHtmlUnescape(m);
      return u.includes(';') ? m : u;
    }
    return m;
  });
}

const C1_RE = /[\x80-\x9f]/g;
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
const SINGLE_QUOTE_RE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE_RE = /[\u201c-\u201f]/g;
const LINE_BREAK_RE = /\r\n|[\r\u2028\u2029\u0085]/g;
const LONE_SURROGATE_RE = /[\ud800-\udfff]/gu; // with /u, paired surrogates are one code point
const ANSI_RE = /\x1b\[((?:\p{Nd}|;)*)([a-zA-Z])/gu; // Python's \d is Unicode Nd
/** Text made only of these cannot be changed by any ftfy fixer but HTML unescaping ('&' excluded). */
const FTFY_NOOP_RE = /^[\t\n\x20-\x25\x27-\x7e]*$/;

function fixSegment(segment: string, unescapeHtml: boolean): string {
  const t = getTables();
  let text = segment;
  for (;;) {
    const orig = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    // (fix_encoding would run here: not ported, see the module comment)
    text = text.replace(C1_RE, (c) => t.c1.get(c) ?? c);
    text = text.replace(t.ligatureRe, (c) => t.ligatures.get(c) ?? c);
    text = text.replace(WIDTH_RE, (c) => t.width.get(c) ?? c);
    text = text.replace(DOUBLE_QUOTE_RE, '"').replace(SINGLE_QUOTE_RE, "'");
    text = text.replace(LINE_BREAK_RE, '\n');
    text = text.replace(LONE_SURROGATE_RE, '\uFFFD');
    text = text.replace(ANSI_RE, '');
    text = text.replace(t.controlRe, '');
    text = text.normalize('NFC');
    if (text === orig) return text;
  }
}

/**
 * ftfy 6.3.1 `fix_text(text)` with default settings, without `fix_encoding` (see module comment).
 * Segments are lines (ending after each '\n', as ftfy cuts them); ftfy's 1,000,000-character segment
 * cap is not reproduced (prompts are far shorter).
 */
export function ftfyFixText(text: string): string {
  if (FTFY_NOOP_RE.test(text)) return text;
  let unescape = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos) + 1;
    if (end === 0) end = text.length;
    const segment = text.slice(pos, end);
    if (unescape && segment.includes('<')) unescape = false; // "auto": sticky for the later lines too
    out += fixSegment(segment, unescape);
    pos = end;
  }
  return out;
}

// ------------------------------------------------------------------ OpenAI basic_clean / whitespace_clean

const PY_STRIP_RE = /^[\p{White_Space}\x1c-\x1f]+|[\p{White_Space}\x1c-\x1f]+$/gu; // str.isspace()
const WHITE_SPACE_RUN_RE = /\p{White_Space}+/gu; // regex module's \s

/** Python's `str.strip()` (no argument). */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP_RE, '');
}

/** `whitespace_clean(basic_clean(text)).lower()` from OpenAI's simple_tokenizer.py (ftfy as above). */
export function clipCleanText(text: string): string {
  let t = ftfyFixText(text);
  t = pyStrip(pyHtmlUnescape(pyHtmlUnescape(t)));
  t = pyStrip(t.replace(WHITE_SPACE_RUN_RE, ' '));
  return t.toLowerCase();
}
