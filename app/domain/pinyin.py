"""Pinyin for search and order: 拼音码 (阿莫西林 → ``amxl``), search keys, and a full-pinyin sort key.

Three codes come from one name (``pinyin_codes``):

- ``abbr``, the 拼音码 shown and typed: initials of the most likely reading. pypinyin's phrase
  dictionaries pick the reading of most polyphones from context (阿胶 → ``ej``, 重感灵 → ``zgl``);
  drug and herb names have a few readings the general dictionary gets wrong (玄参 is xuán shēn,
  莪术 é zhú, 重楼 chóng lóu), and ``DRUG_PHRASES`` fixes those before pypinyin runs. A person's
  name (``person=True``) reads its surname as a surname (曾 zēng, 单 shàn, 解 xiè, 尉迟 yù chí) and
  its given name as given names are read (长林 cháng lín), so 王长林 is ``wcl`` and 曾丽萍 ``zlp``.
- ``keys``: the initials of every reading of every multi-reading character, the ``abbr`` first, one
  space between them (王长林 → ``wcl wzl``), so a search for any reading finds the name. At most
  ``MAX_KEYS`` combinations, those that change fewer characters first.
- ``sort``: the full pinyin with tone numbers, syllables spaced (阿莫西林 → ``a1 mo4 xi1 lin2``), so
  lists sort as a dictionary does: 阿莫西林 before 氨氯地平, 别嘌醇 before 布洛芬.

ASCII letters and digits in the name are kept (lower-cased); punctuation and spaces are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, product

#: drug/herb phrases whose reading the general dictionary gets wrong (longest match wins)
DRUG_PHRASES: dict[str, str] = {
    "参苓": "shen1 ling2",
    "玄参": "xuan2 shen1",
    "苦参": "ku3 shen1",
    "沙参": "sha1 shen1",
    "丹参": "dan1 shen1",
    "党参": "dang3 shen1",
    "红参": "hong2 shen1",
    "太子参": "tai4 zi3 shen1",
    "西洋参": "xi1 yang2 shen1",
    "白术": "bai2 zhu2",
    "苍术": "cang1 zhu2",
    "莪术": "e2 zhu2",
    "重楼": "chong2 lou2",
    "厚朴": "hou4 po4",
    "阿胶": "e1 jiao1",
    "阿魏": "e1 wei4",
    "蛤蚧": "ge2 jie4",
    "薄荷": "bo4 he5",
    "茜草": "qian4 cao3",
}

#: surnames whose surname reading differs from the character's usual one (compound surnames too)
SURNAMES: dict[str, str] = {
    "尉迟": "yu4 chi2", "万俟": "mo4 qi2", "长孙": "zhang3 sun1", "澹台": "tan2 tai2", "令狐": "ling2 hu2",
    "曾": "zeng1", "单": "shan4", "解": "xie4", "区": "ou1", "朴": "piao2", "查": "zha1", "仇": "qiu2",
    "翟": "zhai2", "盖": "ge3", "缪": "miao4", "覃": "qin2", "任": "ren2", "华": "hua4", "乐": "yue4",
    "卜": "bu3", "薄": "bo2", "秘": "bi4", "繁": "po2", "黑": "he4", "祭": "zhai4", "员": "yun4",
    "召": "shao4", "能": "nai4", "都": "du1", "隗": "wei3", "阚": "kan4", "句": "gou1", "过": "guo1",
    "种": "chong2", "粘": "nian2", "乜": "nie4", "宁": "ning4", "纪": "ji3", "相": "xiang4", "燕": "yan1",
    "折": "she2", "要": "yao1", "贲": "ben1", "占": "zhan1", "厍": "she4", "朝": "chao2", "重": "chong2",
    "长": "chang2", "曲": "qu1", "车": "che1", "那": "na1", "洗": "xian3", "冼": "xian3", "尉": "wei4",
}

#: characters of given names read otherwise than pypinyin reads them alone (长林 is cháng lín)
GIVEN_NAMES: dict[str, str] = {"长": "chang2", "重": "chong2", "朝": "zhao1", "卜": "bu3"}

#: how many reading combinations ``keys`` holds at most
MAX_KEYS = 16
#: the longest ``keys`` and ``sort`` text (the columns' width)
MAX_TEXT = 255

_LONGEST_PHRASE = max(len(p) for p in DRUG_PHRASES)
_HAN = re.compile(r"[\u3400-\u9fff]+")
_KEEP = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class PinyinCodes:
    """The pinyin codes of one name: ``abbr`` 拼音码, search ``keys``, full-pinyin ``sort`` key."""

    abbr: str
    keys: str
    sort: str


@lru_cache(maxsize=16384)
def _pypinyin(run: str) -> tuple[str, ...]:
    """pypinyin's reading of a run of Han characters in context (cached: given names repeat)."""
    # imported at first use: its dictionaries take a third of a second to load, and most commands need none
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True, errors=list))


def _phrase_readings(run: str) -> list[str]:
    """One toned syllable per character of a run of Han characters, ``DRUG_PHRASES`` first."""
    out: list[str] = []
    plain_start = 0
    i = 0
    while i < len(run):
        for size in range(min(_LONGEST_PHRASE, len(run) - i), 1, -1):
            fixed = DRUG_PHRASES.get(run[i : i + size])
            if fixed:
                if plain_start < i:
                    out.extend(_pypinyin(run[plain_start:i]))
                out.extend(fixed.split())
                i += size
                plain_start = i
                break
        else:
            i += 1
    if plain_start < len(run):
        out.extend(_pypinyin(run[plain_start:]))
    return out


def _name_readings(run: str) -> list[str]:
    """Syllables of a person's name: the surname's surname reading, then the given name's readings."""
    for size in (2, 1):
        surname = SURNAMES.get(run[:size]) if len(run) > size else None
        if surname:
            break
    else:
        size, surname = 1, " ".join(_pypinyin(run[:1]))
    given = run[size:]
    return [*surname.split(), *(GIVEN_NAMES.get(ch, syl) for ch, syl in zip(given, _pypinyin(given), strict=True))]


@lru_cache(maxsize=8192)
def _initials(char: str) -> tuple[str, ...]:
    """First letters of every reading of one character (pypinyin's heteronyms)."""
    from pypinyin import Style, pinyin

    return tuple(dict.fromkeys(pinyin(char, style=Style.FIRST_LETTER, heteronym=True)[0]))


def _units(text: str, person: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(syllable, initials of every reading, the syllable's first) for each character or ASCII run."""
    units: list[tuple[str, tuple[str, ...]]] = []
    pos = 0
    for match in _HAN.finditer(text):
        units.extend((part, (part,)) for part in _KEEP.findall(text[pos : match.start()].lower()))
        run = match.group()
        readings = _name_readings(run) if person and not units else _phrase_readings(run)
        for char, syllable in zip(run, readings, strict=True):
            first = syllable[:1].lower()
            units.append((syllable, tuple(dict.fromkeys((first, *_initials(char))))))
        pos = match.end()
    units.extend((part, (part,)) for part in _KEEP.findall(text[pos:].lower()))
    return units


def _key_combinations(options: list[tuple[str, ...]], width: int) -> list[str]:
    """Initials of the reading combinations, the most likely first, then by how many characters differ."""
    likely = [o[0] for o in options]
    keys = {"".join(likely)[:width]: None}
    varying = [i for i, o in enumerate(options) if len(o) > 1]
    for count in range(1, len(varying) + 1):
        for positions in combinations(varying, count):
            for picks in product(*(options[i][1:] for i in positions)):
                if len(keys) >= MAX_KEYS:
                    return list(keys)
                chosen = list(likely)
                for i, pick in zip(positions, picks, strict=True):
                    chosen[i] = pick
                keys.setdefault("".join(chosen)[:width], None)
    return list(keys)


@lru_cache(maxsize=65536)
def pinyin_codes(text: str, *, person: bool = False, width: int = 32, override: str = "") -> PinyinCodes:
    """The 拼音码, search keys and sort key of ``text``; ``person`` for a person's name.

    Args:
        text: a drug, place or person's name.
        person: read the first characters as a surname (曾 zēng, 尉迟 yù chí).
        width: the longest 拼音码 (and each search key) kept.
        override: a 拼音码 typed by a user; it is the ``abbr`` and the first key.

    >>> pinyin_codes("王长林", person=True)
    PinyinCodes(abbr='wcl', keys='wcl ycl wzl yzl', sort='wang2 chang2 lin2')
    """
    units = _units(text or "", person)
    found = _key_combinations([u[1] for u in units], width) if units else [""]
    if override:
        found = [override[:width], *(k for k in found if k != override[:width])]
    keys = ""
    for key in found:
        if key and len(keys) + len(key) + 1 > MAX_TEXT:
            break
        keys = f"{keys} {key}" if keys else key
    return PinyinCodes(found[0], keys, " ".join(u[0] for u in units)[:MAX_TEXT])


def pinyin_abbr(text: str, *, person: bool = False) -> str:
    """Lower-case pinyin initials of ``text``, keeping ASCII letters and digits.

    >>> pinyin_abbr("阿莫西林胶囊")
    'amxljn'
    >>> pinyin_abbr("维生素B1片")
    'wssb1p'
    >>> pinyin_abbr("曾丽萍", person=True)
    'zlp'
    """
    return pinyin_codes(text or "", person=person, width=10_000).abbr


def pinyin_sort_key(text: str, *, person: bool = False) -> str:
    """Full pinyin of ``text`` with tone numbers, for sorting (阿莫西林 → ``a1 mo4 xi1 lin2``)."""
    return pinyin_codes(text or "", person=person).sort


def key_patterns(typed: str) -> tuple[str, str]:
    """The two LIKE patterns that find ``typed`` at the start of the first or any other search key.

    Lower-cased, with LIKE's own ``%`` and ``_`` dropped: ``wcl`` → (``wcl%``, ``% wcl%``).
    """
    clean = (typed or "").strip().lower().replace("%", "").replace("_", "")
    return f"{clean}%", f"% {clean}%"


def normalise_abbr(text: str) -> str:
    """An override typed by a user: lower-case ASCII letters and digits only."""
    return "".join(_KEEP.findall(str(text or "").lower()))
