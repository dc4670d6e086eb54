"""Pinyin order for lists people scan by name (阿莫西林 before 氨氯地平), as the services order drugs.

The key is the text's full pinyin with tones (``app.domain.pinyin.pinyin_sort_key``, the same sort key
the catalog stores), then the text itself to break ties; character-code order would put 硝 before 阿.
pypinyin is imported on first use only (start-up stays quick).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")


@lru_cache(maxsize=4096)
def pinyin_key(text: str) -> tuple[str, str]:
    """Sort key of ``text`` in pinyin order: (full pinyin, text)."""
    from app.domain.pinyin import pinyin_sort_key

    return pinyin_sort_key(text or ""), text or ""


def pinyin_sorted(items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:  # type: ignore[assignment]
    """``items`` sorted by ``name(item)`` in pinyin order (stable)."""
    return sorted(items, key=lambda item: pinyin_key(name(item)))
