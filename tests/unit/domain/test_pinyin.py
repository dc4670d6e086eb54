"""Pinyin codes of names with multi-reading characters: the 拼音码 shown (the surname reading for a
person's surname), the search keys (any reading finds the name) and the full-pinyin sort key."""

from __future__ import annotations

import pytest

from app.domain.pinyin import MAX_KEYS, MAX_TEXT, key_patterns, pinyin_abbr, pinyin_codes, pinyin_sort_key

#: (name, a person's name?, 拼音码, sort key, typed initials that must find it by another reading)
TABLE = [
    ("王长林", True, "wcl", "wang2 chang2 lin2", ("wzl",)),
    ("曾丽萍", True, "zlp", "zeng1 li4 ping2", ("clp",)),
    ("单雪梅", True, "sxm", "shan4 xue3 mei2", ("dxm",)),
    ("解晓东", True, "xxd", "xie4 xiao3 dong1", ("jxd",)),
    ("区志强", True, "ozq", "ou1 zhi4 qiang2", ("qzq",)),
    ("朴成浩", True, "pch", "piao2 cheng2 hao4", ()),  # piáo and pǔ begin alike
    ("查文斌", True, "zwb", "zha1 wen2 bin1", ("cwb",)),
    ("仇建国", True, "qjg", "qiu2 jian4 guo2", ("cjg",)),
    ("尉迟敬德", True, "ycjd", "yu4 chi2 jing4 de2", ("wcjd",)),
    ("张长江", True, "zcj", "zhang1 chang2 jiang1", ("zzj",)),
    ("乐思远", True, "ysy", "yue4 si1 yuan3", ("lsy",)),
    ("苯磺酸氨氯地平片", False, "bhsaldpp", "ben3 huang2 suan1 an1 lv4 di4 ping2 pian4", ()),
    ("地西泮片", False, "dxpp", "di4 xi1 pan4 pian4", ()),
    ("可乐定片", False, "kldp", "ke3 le4 ding4 pian4", ("kydp",)),
    ("藏青果", False, "zqg", "zang4 qing1 guo3", ("cqg",)),
    ("西藏红花", False, "xzhh", "xi1 zang4 hong2 hua1", ("xchh",)),
]


def _found_by(typed: str, keys: str) -> bool:
    """What the services' ``LIKE`` on the keys does: ``typed`` begins one of them."""
    return any(key.startswith(typed) for key in keys.split(" "))


@pytest.mark.parametrize(("name", "person", "abbr", "sort", "other"), TABLE, ids=[row[0] for row in TABLE])
def test_codes_of_names_with_multi_reading_characters(name: str, person: bool, abbr: str, sort: str,
                                                      other: tuple[str, ...]) -> None:
    codes = pinyin_codes(name, person=person, width=16)
    assert (codes.abbr, codes.sort) == (abbr, sort)
    assert pinyin_abbr(name, person=person) == abbr and pinyin_sort_key(name, person=person) == sort
    assert codes.keys.split(" ")[0] == abbr  # the 拼音码 is the first key
    for typed in (abbr, abbr[:2], *other):
        assert _found_by(typed, codes.keys), (typed, codes.keys)


def test_table_covers_the_multi_reading_surnames_and_drug_characters() -> None:
    text = "".join(row[0] for row in TABLE)
    assert all(char in text for char in "长曾单解区朴查仇地乐藏") and "尉迟" in text
    assert len(TABLE) == 16


def test_a_name_is_not_found_by_a_reading_it_does_not_have() -> None:
    assert not _found_by("wcz", pinyin_codes("王长林", person=True).keys)
    assert not _found_by("zlb", pinyin_codes("曾丽萍", person=True).keys)


def test_lists_sort_by_full_pinyin_not_by_initials() -> None:
    names = ["布洛芬缓释胶囊", "氨氯地平片", "别嘌醇片", "阿莫西林胶囊"]
    # by initials 布洛芬 (blf) would come before 别嘌醇 (bpc), and 氨氯地平 (aldp) before 阿莫西林 (amxl)
    assert sorted(names, key=pinyin_abbr) == ["氨氯地平片", "阿莫西林胶囊", "布洛芬缓释胶囊", "别嘌醇片"]
    assert sorted(names, key=pinyin_sort_key) == ["阿莫西林胶囊", "氨氯地平片", "别嘌醇片", "布洛芬缓释胶囊"]


def test_keys_are_bounded_and_the_most_likely_readings_come_first() -> None:
    codes = pinyin_codes("复方甘草口服溶液")
    keys = codes.keys.split(" ")
    assert keys[0] == codes.abbr == "ffgckfry" and 1 < len(keys) <= MAX_KEYS and len(set(keys)) == len(keys)
    changed = [sum(a != b for a, b in zip(key, keys[0], strict=True)) for key in keys]
    assert changed == sorted(changed)  # one character read otherwise before two
    long_name = "复方甘草口服溶液" * 8
    assert len(pinyin_codes(long_name).keys) <= MAX_TEXT and len(pinyin_codes(long_name).sort) <= MAX_TEXT


def test_person_width_cuts_every_key_and_a_typed_abbr_comes_first() -> None:
    codes = pinyin_codes("尉迟敬德尉迟敬德尉迟敬德尉迟敬德尉迟敬德", person=True, width=16)
    assert all(len(key) <= 16 for key in codes.keys.split(" ")) and len(codes.abbr) == 16
    typed = pinyin_codes("可乐定片", override="kld")
    assert typed.abbr == "kld" and typed.keys.split(" ")[:2] == ["kld", "kldp"] and "kydp" in typed.keys


def test_key_patterns_match_the_first_or_any_later_key() -> None:
    assert key_patterns(" WCL ") == ("wcl%", "% wcl%")
    assert key_patterns("a%b_c") == ("abc%", "% abc%")


def test_pypinyin_loads_at_first_use_not_with_the_cli() -> None:
    """pypinyin's dictionaries take a third of a second to load: the CLI and the services (which import
    this module) start without them, and the first pinyin code loads them."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys\n"
        "import app.cli, app.services.core.check, app.services.stock.queries\n"
        "from app.domain import pinyin\n"
        "print('before', 'pypinyin' in sys.modules)\n"
        "print('code', pinyin.pinyin_abbr('阿莫西林'), 'pypinyin' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith(("before", "code"))]
    assert lines == ["before False", "code amxl True"], result.stderr[-2000:]
