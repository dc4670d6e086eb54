"""``cunyi --smoke-test``: a temporary installation, every registered page rendered offscreen, PDFs.

Used on a fresh install and on the frozen build before it is packaged. Exit 0 when everything worked;
otherwise the first failure is printed in Chinese on stderr and the exit code is 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

from app.domain import clock

SMOKE_PASSWORD = "smoke-test-1"


def _quiet_offscreen() -> None:
    """The offscreen plugin warns about size hints on every window; that is not a failure."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind, _context, message: str) -> None:  # noqa: ANN001
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _check_qt_setup(app) -> str:  # noqa: ANN001 - QApplication
    """The bundled font is the app font, Qt speaks Chinese, the style sheet's icons are there."""
    from PySide6.QtCore import QCoreApplication

    from app.paths import resource

    family = app.font().family()
    if "WenQuanYi" not in family and "文泉驿" not in family:
        raise RuntimeError(f"没有加载内置字体 {resource('fonts', 'wqy-microhei.ttc')}（当前字体：{family}）")
    if QCoreApplication.translate("QPlatformTheme", "Cancel") != "取消":
        raise RuntimeError("没有加载 Qt 的中文翻译 (qtbase_zh_CN)")
    for parts in (("icons", "chevron-down.svg"), ("policies", "demo-2026.toml"), ("catalog", "drugs.csv"),
                  ("catalog", "diagnoses.csv"), ("names", "surnames.csv")):
        if not resource(*parts).is_file():
            raise RuntimeError(f"缺少资源文件 {resource(*parts)}")
    return family


def _import_everything() -> int:
    """Import every module of the program: an installation missing a library it needs fails here
    (in the frozen bundle, a module only imported on a rarely used path). Returns how many."""
    import importlib
    import pkgutil

    import app
    import ui

    count = 0
    for package in (app, ui):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.startswith("app.db.migrations."):  # alembic runs these, not an import
                continue
            try:
                importlib.import_module(module.name)
            except Exception as exc:  # noqa: BLE001 - reported with the module's name
                raise RuntimeError(f"无法导入模块 {module.name}：{exc}") from exc
            count += 1
    return count


def _make_site(root: Path, kind: str = "village") -> None:
    from app.bootstrap import bootstrap

    sv = bootstrap(root)
    try:
        name = "冒烟测试村卫生室" if kind == "village" else "冒烟测试乡镇卫生院"
        sv.sites.create_standalone(kind, name, "admin", SMOKE_PASSWORD)
        sv.identity.sign_in("admin", SMOKE_PASSWORD)
        if kind == "village":
            sv.users.create("doctor", "冒烟测试村医", "village_doctor", SMOKE_PASSWORD)
    finally:
        sv.close()


def _check_pdf(path: Path) -> Path:
    if not path.read_bytes().startswith(b"%PDF") or path.stat().st_size < 1000:
        raise RuntimeError(f"PDF 文件 {path} 不完整")
    return path


def _receipt():  # noqa: ANN202 - ReceiptData, imported late
    from app.domain.policy import Split
    from app.printing.receipt import ReceiptData, ReceiptLine

    now = clock.now().replace(microsecond=0)
    return ReceiptData(
        settlement_id="00000000-0000-7000-8000-000000000000", clinic="冒烟测试村卫生室", region="示例县（示例数值）",
        receipt_no=f"{now:%Y%m%d}-0001", settled_at=now, visit_date=now.date(), resident_name="测试居民",
        masked_id="410***********1234", sex="女", age=67, diagnosis="高血压 I10",
        lines=(ReceiptLine("苯磺酸氨氯地平片", "5mg×28片", "1盒", "8.12元/盒", 812, "甲"),
               ReceiptLine("阿莫西林胶囊", "0.25g×24粒", "12粒", "0.21元/粒", 250, "乙")),
        general_fee_fen=1000, split=Split(
            total_fen=2062, fund_fen=637, general_fee_fund_fen=800, assistance_fen=0, self_paid_fen=625,
            self_funded_fen=0, b_pre_self_fen=0, deductible_fen=0, eligible=True, waiting_until=None, reason=""),
        pool_label="普通门诊统筹", ytd_fund_fen=12340, annual_cap_fen=40000, doctor="冒烟测试村医",
    )


def _write_pdfs(folder: Path) -> list[Path]:
    """A receipt (A5 and 80 mm roll) and a report table, with the bundled CJK font."""
    from app.printing.receipt import write_receipt_pdf
    from app.printing.table import write_table_pdf
    from app.services.core.reports import Column, Table

    receipt = _receipt()
    table = Table(
        "冒烟测试", (Column("name", "药品"), Column("qty", "数量", "int"), Column("amount", "金额", "fen")),
        [{"name": "阿莫西林胶囊", "qty": 12, "amount": 250}, {"name": "苯磺酸氨氯地平片", "qty": 1, "amount": 812}],
        subtitle="村医通 --smoke-test", totals={"amount": 1062},
    )
    written = [write_receipt_pdf(folder / f"receipt-{paper}.pdf", receipt, paper) for paper in ("A5", "80mm")]
    write_table_pdf(table, folder / "table.pdf")
    written.append(folder / "table.pdf")
    return [_check_pdf(path) for path in written]


def _check_thermal() -> str:
    """The 80 mm slip as ESC/POS bytes (GB18030 text, the printer's QR command), and the USB and serial
    drivers present: what a thermal printer needs from the bundle."""
    from app.printing.thermal import slip_bytes

    stream = slip_bytes(_receipt())  # first: it points python-escpos's cache at the app's own folder
    from escpos.printer import Serial, Usb

    if "冒烟测试村卫生室".encode("gb18030") not in stream or b"\x1d(k" not in stream:
        raise RuntimeError("热敏小票的 ESC/POS 数据不完整（缺少中文或二维码指令）")
    missing = [name for name, printer in (("USB", Usb), ("串口", Serial)) if not printer.is_usable()]
    if missing:
        raise RuntimeError(f"热敏打印机的{'、'.join(missing)}驱动组件缺失")
    return f"热敏小票 {len(stream)} 字节"


def render_pages(root: Path, out: Path, username: str = "admin", password: str = SMOKE_PASSWORD,
                 size: tuple[int, int] = (1366, 768)) -> list[Path]:
    """Sign ``username`` in on ``root``, open every page the user has, save each as ``out/<area>.png``."""
    from PySide6.QtWidgets import QApplication

    from .app import create_main_window
    from .workers import wait_idle

    window = create_main_window(root, username, password)
    shots: list[Path] = []
    try:
        window.resize(*size)
        window.show()
        for area in window.areas:
            window.open_area(area)
            for _ in range(3):  # pages may load in steps (a result triggers the next load)
                if not wait_idle(20000):
                    raise RuntimeError(f"页面 {area} 的数据加载超时")
                QApplication.processEvents()
            image = window.grab()
            if image.isNull() or image.width() < 100:
                raise RuntimeError(f"页面 {area} 无法渲染")
            path = out / f"{area}.png"
            if not image.save(str(path)):
                raise RuntimeError(f"无法保存截图 {path}")
            shots.append(path)
    finally:
        window.close()
    return shots


def run_smoke_test() -> int:
    """Create a temporary site, render every page, write a PDF. Returns the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _quiet_offscreen()
    try:
        from .app import make_application

        family = _check_qt_setup(make_application())
        with tempfile.TemporaryDirectory(prefix="cunyi-smoke-") as tmp:
            shots = []
            for kind in ("village", "township"):
                root, out = Path(tmp) / kind, Path(tmp) / "shots" / kind
                out.mkdir(parents=True)
                _make_site(root, kind)
                shots += render_pages(root, out)
            from .pages import available_areas

            unseen = available_areas() - {p.stem for p in shots}
            if unseen:
                raise RuntimeError(f"以下页面在村卫生室和乡镇卫生院都没有显示：{'、'.join(sorted(unseen))}")
            pdfs = _write_pdfs(Path(tmp))
            thermal = _check_thermal()
            modules = _import_everything()
            print(f"冒烟测试通过：村卫生室和乡镇卫生院共渲染 {len(shots)} 个页面（{'、'.join(sorted({p.stem for p in shots}))}），"
                  f"写出 {len(pdfs)} 个 PDF（{'、'.join(p.name for p in pdfs)}）和{thermal}（USB、串口可用），字体 {family}，中文界面翻译已加载，"
                  f"{modules} 个模块均可导入")
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is the test's answer
        traceback.print_exc()
        print(f"冒烟测试失败：{exc}", file=sys.stderr)
        return 1
