"""Print jobs of 门诊收费: receipt, 补打, reversal slip and 处方笺.

The data (and the ``ReceiptPrint`` record that makes a second print 补打) comes from the settlement
service through ``Op``, together with the ``printer_name``/``receipt_paper`` settings; the drawing
happens in the GUI thread (``ui.printing``). ``done(PrintOutcome)`` says where the paper went.

When the 热敏小票打印机 setting names a printer, receipts and reversal slips (80 mm) go to it instead:
the PDF is written and the slip sent in the same ``Op`` (off the GUI thread: a printer that does not
answer takes seconds); the 处方笺 stays with the 收据打印机. ``opener`` is how the thermal printer is
opened (``app.printing.thermal.open_printer``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.domain.errors import ValidationError
from app.printing.thermal_connection import THERMAL_SETTING, parse_connection
from ui.printing import PrintOutcome, print_prescription, print_receipt, print_receipt_thermal, receipts_folder
from ui.workers import Op


class PrintJobs(QObject):
    """Runs print jobs for a page; ``done`` carries each job's ``PrintOutcome``."""

    done = Signal(object)

    def __init__(self, sv: Any, owner: QWidget) -> None:
        super().__init__(owner)
        self.sv = sv
        self.owner = owner
        self.last: PrintOutcome | None = None
        self.opener = None  # None: python-escpos's printer for the setting

    def _settings(self) -> tuple[str, str]:
        settings = self.sv.settings
        return str(settings.get("printer_name")), str(settings.get("receipt_paper"))

    def receipt(self, settlement_id: str, *, reversal: bool = False) -> None:
        """Print the receipt (a reprint is marked 补打 by the service), or the reversal slip."""
        settlement, read_settings, settings = self.sv.settlement, self._settings, self.sv.settings
        folder, opener = self._folder(), self.opener

        def fetch():  # noqa: ANN202 - database thread
            printer, paper = read_settings()
            try:
                connection = parse_connection(settings.get(THERMAL_SETTING))
            except ValidationError:  # a setting saved before it was checked: the 收据打印机 as before
                connection = None
            if connection is None:
                return printer, paper, settlement.receipt_data(settlement_id, paper, reversal=reversal)
            data = settlement.receipt_data(settlement_id, "80mm", reversal=reversal)
            return print_receipt_thermal(data, connection, folder, opener)

        Op(self.owner, fetch).success(self._fetched).run()

    def _fetched(self, result) -> None:  # noqa: ANN001
        if isinstance(result, PrintOutcome):  # sent to the thermal printer (or kept as PDF) already
            self._finish(result)
        else:
            self._print_receipt(*result)

    def prescription(self, settlement_id: str) -> None:
        settlement, read_settings = self.sv.settlement, self._settings

        def fetch():  # noqa: ANN202 - database thread
            return read_settings()[0], settlement.prescription_data(settlement_id)

        Op(self.owner, fetch).success(lambda r: self._finish(print_prescription(r[1], r[0], self._folder()))).run()

    def _folder(self):  # noqa: ANN202
        return receipts_folder(self.sv.data.exports)

    def _print_receipt(self, printer: str, paper: str, data) -> None:  # noqa: ANN001
        self._finish(print_receipt(data, paper, printer, self._folder()))

    def _finish(self, outcome: PrintOutcome) -> None:
        self.last = outcome
        self.done.emit(outcome)
