"""Pinyin initials (拼音码) for search: 阿莫西林 → ``amxl``, 维生素B1 → ``wssb1``.

pypinyin's phrase dictionaries pick the reading of most polyphones from context (阿胶 → ``ej``,
重感灵 → ``zgl``). Drug and herb names have a few readings the general dictionary gets wrong
(玄参 is xuán shēn, 莪术 é zhú, 重楼 chóng lóu); ``DRUG_PHRASES`` fixes those before pypinyin runs.
ASCII letters and digits in the name are kept (lower-cased); punctuation and spaces are dropped.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

#: drug/herb phrases whose initials the general dictionary gets wrong (longest match wins)
DRUG_PHRASES: dict[str, str] = {
    "参苓": "sl",
    "玄参": "xs",
    "苦参": "ks",
    "沙参": "ss",
    "丹参": "ds",
    "党参": "ds",
    "红参": "hs",
    "太子参": "tzs",
    "西洋参": "xys",
    "白术": "bz",
    "苍术": "cz",
    "莪术": "ez",
    "重楼": "cl",
    "厚朴": "hp",
    "阿胶": "ej",
    "阿魏": "ew",
    "蛤蚧": "gj",
    "薄荷": "bh",
    "茜草": "qc",
}
_LONGEST = max(len(p) for p in DRUG_PHRASES)
_HAN = re.compile(r"[\u3400-\u9fff]+")
_KEEP = re.compile(r"[a-z0-9]+")


def _han_initials(run: str) -> str:
    out: list[str] = []
    plain_start = 0
    i = 0
    while i < len(run):
        for size in range(min(_LONGEST, len(run) - i), 1, -1):
            fixed = DRUG_PHRASES.get(run[i : i + size])
            if fixed:
                if plain_start < i:
                    out.extend(lazy_pinyin(run[plain_start:i], style=Style.FIRST_LETTER))
                out.append(fixed)
                i += size
                plain_start = i
                break
        else:
            i += 1
    if plain_start < len(run):
        out.extend(lazy_pinyin(run[plain_start:], style=Style.FIRST_LETTER))
    return "".join(out)


def pinyin_abbr(text: str) -> str:
    """Lower-case pinyin initials of ``text``, keeping ASCII letters and digits.

    >>> pinyin_abbr("阿莫西林胶囊")
    'amxljn'
    >>> pinyin_abbr("维生素B1片")
    'wssb1p'
    """
    parts: list[str] = []
    pos = 0
    for match in _HAN.finditer(text or ""):
        parts.extend(_KEEP.findall(text[pos : match.start()].lower()))
        parts.append(_han_initials(match.group()).lower())
        pos = match.end()
    parts.extend(_KEEP.findall((text or "")[pos:].lower()))
    return "".join(parts)


def normalise_abbr(text: str) -> str:
    """An override typed by a user: lower-case ASCII letters and digits only."""
    return "".join(_KEEP.findall(str(text or "").lower()))
