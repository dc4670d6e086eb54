"""用法用量: the usual usage by route (from the 剂型), and what a line's usage must be."""

from __future__ import annotations

import pytest

from app.domain.errors import ValidationError
from app.domain.usage import check_usage, route_of, usage_choices, usual_usage


@pytest.mark.parametrize("form,name,base_unit,route,usage", [
    ("片剂", "阿托伐他汀钙片", "片", "口服", "口服 每日3次 每次1片"),
    ("胶囊剂", "阿莫西林胶囊", "粒", "口服", "口服 每日3次 每次1粒"),
    ("颗粒剂", "小儿氨酚黄那敏颗粒", "袋", "口服", "口服 每日3次 每次1袋"),
    ("缓释片", "硝苯地平缓释片(Ⅱ)", "片", "口服", "口服 每日1次 每次1片"),
    ("气雾剂", "硫酸沙丁胺醇吸入气雾剂", "支", "吸入", "吸入 必要时 每次1-2揿"),
    ("软膏剂", "莫匹罗星软膏", "支", "外用", "外用 每日2次 涂患处"),
    ("滴眼剂", "左氧氟沙星滴眼液", "支", "外用", "外用 滴眼 每日3次 每次1滴"),
    ("注射液", "维生素B12注射液", "支", "注射", "注射 每日1次 每次1支"),
    ("", "维生素C片", "瓶", "口服", "口服 每日3次 每次1片"),  # no 剂型: the name, and a dose in 片 not 瓶
    ("", "某药", "瓶", "", ""),  # nothing says the route: the doctor writes it
])
def test_usual_usage_by_route(form: str, name: str, base_unit: str, route: str, usage: str) -> None:
    assert route_of(form, name, base_unit) == route
    assert usual_usage(form, base_unit, name) == usage
    choices = usage_choices(form, base_unit, name)
    assert (choices[0] == usage if usage else choices) and not any("遵医嘱" in c for c in choices)


@pytest.mark.parametrize("usage,problem", [("", "为空"), (None, "为空"), ("  ", "为空"), ("遵医嘱", "不能写“遵医嘱”"),
                                           ("口服 自用", "不能写“自用”"), ("口服" * 33, "太长")])
def test_a_usage_must_be_written_out(usage: str | None, problem: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_usage(usage, 3, "阿莫西林胶囊")
    assert err.value.field == "用法用量"
    assert str(err.value).startswith(f"第3行“阿莫西林胶囊”用法用量{problem}")


def test_a_written_usage_is_kept() -> None:
    assert check_usage(" 口服 每日2次 每次1粒 ", 1, "阿莫西林胶囊") == "口服 每日2次 每次1粒"
