#!/usr/bin/python3
"""Golden token ids for src/engine/clip/tokenizer.ts, from an independent Python re-implementation of
OpenAI's published CLIP tokenizer (openai/CLIP clip/simple_tokenizer.py and clip.tokenize).

It reads the ORIGINAL OpenAI merges (shared/data/clip-tokenizer-openai/bpe_simple_vocab_16e6.txt.gz),
not the Hugging Face tokenizer.json that the TypeScript side reads, so the two sides share no data
but the prompts. It writes tests/fixtures/tokenizer/golden.json.

Dependencies. OpenAI's code uses `ftfy` and `regex`; /usr/bin/python3 has neither, but both wheels are
on disk here. The committed fixture was made with both:

    /usr/bin/python3 -m pip install --no-index --find-links /opt/pypi/files --target /tmp/tok-pydeps ftfy regex
    PYTHONPATH=/tmp/tok-pydeps /usr/bin/python3 scripts/golden/tokenizer_golden.py

Without `regex`, \\p{L} / \\p{N} / \\s are emulated with unicodedata categories and the White_Space
list (when `regex` IS present the emulation is cross-checked against it on every prompt). Without
`ftfy`, its step is replaced by NFC normalisation only, and the prompts that exercise ftfy (category
"ftfy") are left out of the fixture; meta.ftfy records what was used.

For every prompt the fixture holds
  encoded:  SimpleTokenizer.encode(text) (no start/end tokens, not truncated),
  row:      clip.tokenize([text], context_length=77, truncate=True)[0] with the trailing zero padding
            cut off (the padding is checked separately on `rows`),
  encoded_no_fix_encoding / row_no_fix_encoding: only where they differ, the same with
            ftfy.fix_text(text, fix_encoding=False). The TypeScript port implements every ftfy fixer
            except fix_encoding (mojibake repair), so that is the value it must match there.
  hf_encoded: only where it differs from `encoded`, and only when Hugging Face `tokenizers` is
            installed: what the HF pipeline declared in tokenizer.json gives (documentation of the
            HF-vs-OpenAI differences; the TypeScript tokenizer follows OpenAI there).
and `rows` holds a few complete 77-wide padded rows.
"""
import gzip
import html
import json
import os
import sys
import unicodedata

try:
    import regex  # type: ignore
except ImportError:  # pragma: no cover
    regex = None
try:
    import ftfy  # type: ignore
except ImportError:  # pragma: no cover
    ftfy = None
try:  # optional: only to document where HF's tokenizer.json pipeline differs from OpenAI's
    import tokenizers  # type: ignore
except ImportError:  # pragma: no cover
    tokenizers = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
if not os.path.isdir(SHARED):  # worktrees sit beside shared/ too; allow an override
    SHARED = os.environ.get("TBAR_SHARED_DATA", SHARED)
BPE_PATH = os.path.join(SHARED, "clip-tokenizer-openai", "bpe_simple_vocab_16e6.txt.gz")
HF_PATH = os.path.join(SHARED, "tinyclip-8m-16-text-3m-hf-tokenizer", "tokenizer.json")
FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizer")
CONTEXT = 77

# ---------------------------------------------------------------------------------------------------
# OpenAI simple_tokenizer, re-implemented
# ---------------------------------------------------------------------------------------------------


def bytes_to_unicode():
    """GPT-2 / CLIP reversible byte → printable unicode char map (printable bytes map to themselves)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return {(a, b) for a, b in zip(word[:-1], word[1:])}


# regex module \s == Unicode White_Space (checked against the module below when it is installed)
WHITE_SPACE = set(map(chr, [*range(0x9, 0xE), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                            0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))
SPECIALS = ("<|startoftext|>", "<|endoftext|>")
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
# re.IGNORECASE in the regex module uses simple case folding: 's' also matches 'ſ' (U+017F) and 'S'.
FOLD_EQUIV = {"s": "sSſ", "t": "tT", "r": "rR", "e": "eE", "v": "vV", "m": "mM", "l": "lL", "d": "dD"}


def is_l(c):
    return unicodedata.category(c).startswith("L")


def is_n(c):
    return unicodedata.category(c).startswith("N")


def findall_emulated(text):
    """re.findall of CLIP's pattern, written out: ordered alternation tried at each position."""
    out = []
    i, n = 0, len(text)
    while i < n:
        m = None
        for s in SPECIALS:  # IGNORECASE: the text is lower-cased already, compare folded
            if text[i:i + len(s)].lower() == s:
                m = text[i:i + len(s)]
                break
        if m is None and text[i] == "'":
            for c in CONTRACTIONS:
                seg = text[i + 1:i + len(c)]
                if len(seg) == len(c) - 1 and all(ch in FOLD_EQUIV[x] for ch, x in zip(seg, c[1:])):
                    m = text[i:i + len(c)]
                    break
        if m is None and is_l(text[i]):
            j = i
            while j < n and is_l(text[j]):
                j += 1
            m = text[i:j]
        if m is None and is_n(text[i]):
            m = text[i]
        if m is None and text[i] not in WHITE_SPACE:
            j = i
            while j < n and not (text[j] in WHITE_SPACE or is_l(text[j]) or is_n(text[j])):
                j += 1
            m = text[i:j]
        if m is None:
            i += 1
        else:
            out.append(m)
            i += len(m)
    return out


PAT = None
if regex is not None:
    PAT = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                        regex.IGNORECASE)
    _ws = {chr(c) for c in range(0x110000) if regex.match(r"\s", chr(c))}
    assert _ws == WHITE_SPACE, "regex \\s differs from the White_Space list"


def findall(text):
    if PAT is None:
        return findall_emulated(text)
    got = PAT.findall(text)
    emu = findall_emulated(text)
    assert got == emu, f"emulation differs from regex on {text!r}: {got} vs {emu}"
    return got


def fix_text(text, fix_encoding=True):
    if ftfy is None:
        return unicodedata.normalize("NFC", text)  # ftfy's last step; the rest is skipped (see docstring)
    return ftfy.fix_text(text, fix_encoding=fix_encoding)


def whitespace_sub(text):
    if regex is not None:
        return regex.sub(r"\s+", " ", text)
    out, prev_ws = [], False
    for c in text:
        if c in WHITE_SPACE:
            if not prev_ws:
                out.append(" ")
            prev_ws = True
        else:
            out.append(c)
            prev_ws = False
    return "".join(out)


def basic_clean(text, fix_encoding=True):
    text = fix_text(text, fix_encoding)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    return whitespace_sub(text).strip()


class SimpleTokenizer:
    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.merges = merges
        self.vocab = vocab
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.decoder = {i: v for v, i in self.encoder.items()}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {s: s for s in SPECIALS}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        out = " ".join(word)
        self.cache[token] = out
        return out

    def encode(self, text, fix_encoding=True):
        ids = []
        text = whitespace_clean(basic_clean(text, fix_encoding)).lower()
        for tok in findall(text):
            tok = "".join(self.byte_encoder[b] for b in tok.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(tok).split(" "))
        return ids

    def decode(self, ids):
        text = "".join(self.decoder[i] for i in ids)
        return bytearray([self.byte_decoder[c] for c in text]).decode("utf-8", errors="replace").replace("</w>", " ")


def clip_tokenize_row(tok, text, context_length=CONTEXT, fix_encoding=True):
    """clip.tokenize([text], context_length, truncate=True)[0] as a list of ints (zero padded)."""
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    tokens = [sot] + tok.encode(text, fix_encoding) + [eot]
    if len(tokens) > context_length:
        tokens = tokens[:context_length]
        tokens[-1] = eot
    return tokens + [0] * (context_length - len(tokens))


# ---------------------------------------------------------------------------------------------------
# prompts
# ---------------------------------------------------------------------------------------------------

LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
         "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris "
         "nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit "
         "esse cillum dolore eu fugiat nulla pariatur.")

PROMPTS = [
    # (category, text)
    ("basic", "a photo of a cat"),
    ("basic", "a photo of a cat."),
    ("basic", "A Photo Of A CAT!"),
    ("basic", ""),
    ("basic", "   "),
    ("basic", "x"),
    ("punctuation", "Hello, world! How are you?"),
    ("punctuation", "well... that's it?!"),
    ("punctuation", "(parenthesized) [brackets] {braces} <angles>"),
    ("punctuation", "a/b\\c|d_e"),
    ("punctuation", "e-mail: someone@example.com"),
    ("punctuation", "$100 & 50% off #sale ~ ^ `tick`"),
    ("punctuation", "--- *** === ..."),
    ("punctuation", "C++ and C# and F#"),
    ("punctuation", "https://example.com/a?b=c&d=e"),
    ("punctuation", "!'s and ?'t"),
    ("numbers", "1234"),
    ("numbers", "3.14159"),
    ("numbers", "agent 007"),
    ("numbers", "1st 2nd 3rd 42nd"),
    ("numbers", "10,000,000"),
    ("numbers", "\u0661\u0662\u0663 \u00bd \u00b2 \u216b"),
    ("accents", "café"),
    ("accents", "naïve"),
    ("accents", "über"),
    ("accents", "straße"),
    ("accents", "Ångström"),
    ("accents", "crème brûlée"),
    ("accents", "cafe\u0301 (decomposed)"),
    ("accents", "ÉCOLE NORMALE"),
    ("accents", "İstanbul"),
    ("accents", "ΣΟΦΟΣ Ελληνικά"),
    ("cjk", "猫の写真"),
    ("cjk", "一只猫的照片"),
    ("cjk", "고양이 사진"),
    ("cjk", "a photo of a 猫"),
    ("scripts", "Привет мир"),
    ("scripts", "مرحبا بالعالم"),
    ("scripts", "שלום"),
    ("scripts", "हिन्दी"),
    ("scripts", "สวัสดี"),
    ("emoji", "a photo of a 🐱"),
    ("emoji", "👍🏽 great"),
    ("emoji", "🇫🇷 flag"),
    ("emoji", "❤️"),
    ("emoji", "family 👨\u200d👩\u200d👧"),
    ("apostrophes", "it's"),
    ("apostrophes", "don't we're they've I'm you'll he'd"),
    ("apostrophes", "the dog's bone"),
    ("apostrophes", "rock 'n' roll"),
    ("apostrophes", "IT'S DON'T"),
    ("apostrophes", "'s'"),
    ("apostrophes", "it'ſ"),
    ("apostrophes", "o'clock"),
    ("whitespace", "  a   photo\tof\na\r\ncat  "),
    ("whitespace", "\u00a0nbsp\u2003em\u3000ideographic"),
    ("whitespace", "a\u0085b"),
    ("whitespace", "zero\u200bwidth"),
    ("whitespace", "\ufeffbom"),
    ("whitespace", "hello\u2028world\u2029again"),
    ("whitespace", "\x1ca\x1fb"),
    ("html", "fish &amp; chips"),
    ("html", "&lt;b&gt;bold&lt;/b&gt;"),
    ("html", "&amp;amp;"),
    ("html", "&amp;amp;amp;amp;"),
    ("html", "caf&eacute;"),
    ("html", "&#39;quoted&#x27;"),
    ("html", "&copy2024 &notit; &not"),
    ("html", "AT&T"),
    ("html", "<b>tag</b> &amp;amp;amp; stuff"),
    ("html", "line one &amp;amp;\nline <two> &amp;amp;\nline three &amp;amp;"),
    ("html", "&nbsp;x"),
    ("html", "&EACUTE;COLE"),
    ("html", "&#0;&#x110000;&#128;&#1;"),
    ("html", "&Jscr;ohn"),
    ("ftfy", "“quoted” and ‘single’ don’t"),
    ("ftfy", "ﬁsh ﬂour ﬀ"),
    ("ftfy", "ＬＯＵＤ　ＮＯＩＳＥＳ"),
    ("ftfy", "ｳﾙﾄﾗ"),
    ("ftfy", "a\x00b\x07c\x7fd"),
    ("ftfy", "\x1b[31mred\x1b[0m"),
    ("ftfy", "price \x80 5"),
    ("ftfy", "cafÃ©"),
    ("ftfy", "â€œmojibakeâ€\x9d"),
    ("specials", "a <|endoftext|> b"),
    ("specials", "<|startoftext|>x"),
    ("specials", "<|ENDOFTEXT|>"),
    ("words", "supercalifragilisticexpialidocious"),
    ("words", "pneumonoultramicroscopicsilicovolcanoconiosis"),
    ("words", "x" * 60),
    ("long", LOREM),
    ("long", "a " * 100),
    ("long", "cat " * 75),
    ("long", "cat " * 76),
    ("long", "🐱" * 40),
]

CLASS_NAMES = ["cat", "golden retriever", "half-track", "potter's wheel", "T-shirt", "Granny Smith apple"]


def main():
    tok = SimpleTokenizer(BPE_PATH)
    with open(os.path.join(FIX, "templates.json"), encoding="utf-8") as f:
        templates = json.load(f)
    assert len(templates) == 80 and templates[0] == "a bad photo of a {}.", "templates.json is not CLIP's list"

    # Published check (CLIP-LAYOUT.md / openai/CLIP README): hard-coded, independent of the prompts.
    assert clip_tokenize_row(tok, "a photo of a cat")[:7] == [49406, 320, 1125, 539, 320, 2368, 49407]

    # The HF tokenizer.json the TS side reads must be this same vocabulary.
    with open(HF_PATH, encoding="utf-8") as f:
        hf = json.load(f)
    hf_vocab_same = hf["model"]["vocab"] == tok.encoder or {
        k: v for k, v in hf["model"]["vocab"].items()} == tok.encoder
    hf_merges_same = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in hf["model"]["merges"]] == tok.merges
    assert hf_vocab_same and hf_merges_same, "HF tokenizer.json vocab/merges differ from OpenAI's"

    prompts = [p for p in PROMPTS if ftfy is not None or p[0] != "ftfy"]
    prompts += [("templates", t.format(c)) for c in CLASS_NAMES for t in templates]

    hf_tok = tokenizers.Tokenizer.from_file(HF_PATH) if tokenizers is not None else None
    cases = []
    for cat, text in prompts:
        enc = tok.encode(text)
        row = clip_tokenize_row(tok, text)
        case = {"category": cat, "text": text, "encoded": enc, "row": trim_row(row)}
        if ftfy is not None:
            enc2 = tok.encode(text, fix_encoding=False)
            if enc2 != enc:
                case["encoded_no_fix_encoding"] = enc2
                case["row_no_fix_encoding"] = trim_row(clip_tokenize_row(tok, text, fix_encoding=False))
        if hf_tok is not None:
            hf_ids = hf_tok.encode(text).ids
            assert hf_ids[0] == 49406 and hf_ids[-1] == 49407
            if hf_ids[1:-1] != enc:
                case["hf_encoded"] = hf_ids[1:-1]
        cases.append(case)

    rows = [{"text": t, "row": clip_tokenize_row(tok, t)} for t in
            ["a photo of a cat", "", LOREM, "cat " * 76, "a <|endoftext|> b"]]
    rows.append({"text": "a photo of a cat", "context_length": 8, "row": clip_tokenize_row(tok, "a photo of a cat", 8)})
    rows.append({"text": LOREM, "context_length": 16, "row": clip_tokenize_row(tok, LOREM, 16)})

    decoded = [{"ids": tok.encode(t), "text": tok.decode(tok.encode(t))}
               for t in ["a photo of a cat", "Crème brûlée, 猫 & 🐱!", "it's 1234"]]

    out = {
        "meta": {
            "generator": "scripts/golden/tokenizer_golden.py",
            "reference": "openai/CLIP clip/simple_tokenizer.py + clip.tokenize(truncate=True), re-implemented",
            "merges": "shared/data/clip-tokenizer-openai/bpe_simple_vocab_16e6.txt.gz lines[1:49152-256-2+1]",
            "python": sys.version.split()[0],
            "unicodedata": unicodedata.unidata_version,
            "ftfy": getattr(ftfy, "__version__", None),
            "regex": getattr(regex, "__version__", None) or "emulated with unicodedata",
            "context_length": CONTEXT,
            "hf_tokenizer_json_same_vocab_and_merges": True,
            "hf_tokenizers": getattr(tokenizers, "__version__", None),
        },
        "published_example": {"text": "a photo of a cat", "row": [49406, 320, 1125, 539, 320, 2368, 49407]},
        "cases": cases,
        "rows": rows,
        "decoded": decoded,
    }
    os.makedirs(FIX, exist_ok=True)
    path = os.environ.get("TOKENIZER_GOLDEN_OUT") or os.path.join(FIX, "golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    n_diff = sum("encoded_no_fix_encoding" in c for c in cases)
    n_hf = sum("hf_encoded" in c for c in cases)
    print(f"wrote {path}: {len(cases)} cases ({n_diff} where ftfy.fix_encoding matters, "
          f"{n_hf} where HF tokenizers differs from OpenAI), "
          f"ftfy={out['meta']['ftfy']} regex={out['meta']['regex']}")


def trim_row(row):
    """Cut the zero padding after the last end-of-text token (the row always ends with one)."""
    last = len(row) - 1 - row[::-1].index(49407)
    assert all(v == 0 for v in row[last + 1:])
    return row[:last + 1]


if __name__ == "__main__":
    main()
