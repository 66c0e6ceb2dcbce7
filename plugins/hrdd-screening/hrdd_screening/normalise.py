"""Name normalisation for screening: the same function for list entries (once, at load) and
for the names screened, so both sides are compared in one form.

Steps: transliterate non-Latin scripts to ASCII (``anyascii``, ISC licence); lower-case;
drop dots and apostrophes (``S.A.`` and ``Co.`` become ``sa`` and ``co``); turn other
punctuation into spaces; join runs of single letters (``S A`` becomes ``sa``); strip
legal-form words at the end (``Co., Ltd.``, ``GmbH``, ``PTE. LTD.``, ``Zrt``...) and at the
start (``OOO``, ``PT``...) unless nothing would be left.
"""

from __future__ import annotations

import re

# Legal forms removed from the end of a name (repeatedly: "co ltd", "pte ltd", "sp z oo").
TRAILING_FORMS = frozenset(
    [
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "pte",
        "pty",
        "pvt",
        "private",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "se",
        "sa",
        "sas",
        "sarl",
        "sl",
        "spa",
        "srl",
        "sprl",
        "bv",
        "nv",
        "ab",
        "asa",
        "oy",
        "oyj",
        "kk",
        "kft",
        "zrt",
        "nyrt",
        "rt",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "tov",
        "ltda",
        "sdn",
        "bhd",
        "fze",
        "fzco",
        "fzc",
        "fzllc",
        "wll",
        "spc",
        "doo",
        "dd",
        "ead",
        "eood",
        "ad",
        "sro",
        "sp",
        "z",
        "oo",
        "ulc",
        "cv",
        "de",
        "sapi",
        "sab",
        "ltdsti",
        "sti",
        "aps",
        "tbk",
    ]
)
# Legal forms removed from the start of a name (Russian, Ukrainian, Indonesian usage).
LEADING_FORMS = frozenset(
    ["ooo", "oao", "zao", "pao", "ao", "pjsc", "ojsc", "cjsc", "jsc", "tov", "pt", "cv", "fgup", "gup"]
)

_DROP = str.maketrans("", "", ".'\u2019`\u00b4")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _ascii(name: str) -> str:
    if name.isascii():
        return name
    from anyascii import anyascii

    return str(anyascii(name))


def _join_initials(tokens: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return out


def tokens(name: str) -> tuple[str, ...]:
    """The normalised tokens of a name, in their original order (may be empty)."""
    text = _ascii(name).lower().replace("&", " and ").translate(_DROP)
    words = _NON_WORD.sub(" ", text).split()
    if not words:
        return ()
    if min(map(len, words)) == 1:
        words = _join_initials(words)
    end = len(words)
    while end > 1 and words[end - 1] in TRAILING_FORMS:
        end -= 1
    start = 0
    while start < end - 1 and words[start] in LEADING_FORMS:
        start += 1
    kept = words[start:end]
    return tuple(kept if kept else words)


def normalise(name: str) -> str:
    """The normalised name as one string (tokens joined by single spaces)."""
    return " ".join(tokens(name))
