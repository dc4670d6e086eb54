"""Pinyin initials for drug search."""

from __future__ import annotations

import pytest

from app.domain.pinyin import normalise_abbr, pinyin_abbr


@pytest.mark.parametrize(
    "name,abbr",
    [
        ("阿莫西林", "amxl"),
        ("维生素B1", "wssb1"),
        ("阿胶补血口服液", "ejbxkfy"),  # 阿 read ē in 阿胶 (phrase dictionary)
        ("参苓白术散", "slbzs"),  # shēn líng bái zhú
        ("玄参", "xs"),
        ("重楼解毒酊", "cljdd"),  # chóng lóu
        ("复方甘草片", "ffgcp"),
        ("0.9%氯化钠注射液", "09lhnzsy"),
        ("硝苯地平缓释片（Ⅱ）", "xbdphsp"),
    ],
)
def test_pinyin_abbr(name: str, abbr: str) -> None:
    assert pinyin_abbr(name) == abbr


def test_override_is_normalised() -> None:
    assert normalise_abbr(" AMX-L 2 ") == "amxl2"
