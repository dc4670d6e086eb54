"""Pinyin order for lists people scan by name (阿莫西林 before 硝苯地平), as the services order drugs.

The key is the text's pinyin initials (``app.domain.pinyin.pinyin_abbr``, the same 拼音码 the
catalog stores), then the text itself to break ties; character-code order would put 硝 before 阿.
pypinyin is imported on first use only (start-up stays quick).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")


@lru_cache(maxsize=4096)
def pinyin_key(text: str) -> tuple[str, str]:
    """Sort key of ``text`` in pinyin order: (initials, text)."""
    from app.domain.pinyin import pinyin_abbr

    return pinyin_abbr(text or ""), text or ""


def pinyin_sorted(items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:  # type: ignore[assignment]
    """``items`` sorted by ``name(item)`` in pinyin order (stable)."""
    return sorted(items, key=lambda item: pinyin_key(name(item)))
