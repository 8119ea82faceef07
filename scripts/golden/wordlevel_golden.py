#!/usr/bin/python3
"""WordLevel golden: Hugging Face `tokenizers` (the reference implementation of tokenizer.json)
encodes prompts with tests/fixtures/tokenizer/wordlevel.tokenizer.json, the file our
buildWordLevelTokenizerJson makes (scripts/golden/wordlevel_tokenizer_json.ts). Loading it at all
checks that the builder writes a valid tokenizer.json; the ids check ClipTokenizer's WordLevel path.

    /usr/bin/python3 -m pip install --no-index --no-deps --find-links /opt/pypi/files --target /tmp/tok-pydeps tokenizers==0.23.2
    PYTHONPATH=/tmp/tok-pydeps /usr/bin/python3 scripts/golden/wordlevel_golden.py

Writes tests/fixtures/tokenizer/wordlevel_golden.json.
"""
import json
import os

import tokenizers
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures", "tokenizer")

PROMPTS = [
    "a photo of a cat.",
    "a photo of a half-track.",
    "A PHOTO OF A T-SHIRT.",
    "itap of my potter's wheel.",
    "a photo of a dog.",               # unknown word
    "a   photo\tof\na  cat",           # whitespace runs
    "a close-up photo of the golden retriever.",
    "«cat», (truck)!",                 # unicode punctuation, unknown punctuation
    "café 3 cats",                     # unknown accented word, digits
    "a <|endoftext|> cat",             # special token literal
    "<|startoftext|>cat<|endoftext|>",
    "",
    "the {} in a video game.",
    "ÉCOLE",
]


def main():
    tok = Tokenizer.from_file(os.path.join(FIX, "wordlevel.tokenizer.json"))
    tok.no_padding()
    cases = []
    for text in PROMPTS:
        enc = tok.encode(text)
        cases.append({"text": text, "ids": enc.ids, "tokens": enc.tokens})
    out = {
        "meta": {"generator": "scripts/golden/wordlevel_golden.py", "tokenizers": tokenizers.__version__},
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "cases": cases,
    }
    path = os.path.join(FIX, "wordlevel_golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
