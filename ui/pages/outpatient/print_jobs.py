"""Print jobs of 门诊收费: receipt, 补打, reversal slip and 处方笺.

The data (and the ``ReceiptPrint`` record that makes a second print 补打) comes from the settlement
service through ``Op``, together with the ``printer_name``/``receipt_paper`` settings; the drawing
happens in the GUI thread (``ui.printing``). ``done(PrintOutcome)`` says where the paper went.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ui.printing import PrintOutcome, print_prescription, print_receipt, receipts_folder
from ui.workers import Op


class PrintJobs(QObject):
    """Runs print jobs for a page; ``done`` carries each job's ``PrintOutcome``."""

    done = Signal(object)

    def __init__(self, sv: Any, owner: QWidget) -> None:
        super().__init__(owner)
        self.sv = sv
        self.owner = owner
        self.last: PrintOutcome | None = None

    def _settings(self) -> tuple[str, str]:
        settings = self.sv.settings
        return str(settings.get("printer_name")), str(settings.get("receipt_paper"))

    def receipt(self, settlement_id: str, *, reversal: bool = False) -> None:
        """Print the receipt (a reprint is marked 补打 by the service), or the reversal slip."""
        settlement, read_settings = self.sv.settlement, self._settings

        def fetch():  # noqa: ANN202 - database thread
            printer, paper = read_settings()
            return printer, paper, settlement.receipt_data(settlement_id, paper, reversal=reversal)

        Op(self.owner, fetch).success(lambda r: self._print_receipt(*r)).run()

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
