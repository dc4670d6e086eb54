"""The bundled CJK font (WenQuanYi Micro Hei, Apache-2.0), registered once for reportlab.

reportlab embeds a subset of a TrueType font in every PDF, so any viewer and printer shows the same
glyphs. The Qt side registers the same file (``ui.app``), so screen and paper look alike.
"""

from __future__ import annotations

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from app.paths import resource

FONT_FILE = resource("fonts", "wqy-microhei.ttc")
FONT_NAME = "WenQuanYiMicroHei"


@cache
def register_fonts() -> str:
    """Register the CJK font with reportlab (idempotent) and return its name."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    return FONT_NAME
