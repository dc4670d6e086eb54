"""``cunyi check``: shipments close (DESIGN §4, |OUT| = IN + loss), registered when ``service`` is imported.

Only what this database holds is checked: a township holds its shipments and ledger and its villages'
receipts and ledgers; a village holds its receipts and ledger and the shipments addressed to it, never the
township's ledger. So the TRANSFER_OUT side is checked only where the shipping store's ledger is here, the
TRANSFER_IN side only where the receiving store's ledger is here.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.domain.ids import derived_id
from app.services.core.check import rule

#: a store whose ledger this database holds
_HERE = "EXISTS (SELECT 1 FROM stock_movements h WHERE h.store_id = {store})"


@rule("调拨单收发平衡")
def _shipments_close(session: Session) -> Iterator[str]:
    row = session.execute(text(
        "SELECT s.shipment_no, d.generic_name, l.batch_no, l.quantity, r.qty_shipped, r.qty_received, r.qty_lost "
        "FROM transfer_receipt_lines r JOIN shipment_lines l ON l.id = r.shipment_line_id "
        "JOIN shipments s ON s.id = l.shipment_id JOIN drugs d ON d.id = l.drug_id "
        "WHERE r.qty_received < 0 OR r.qty_lost < 0 OR r.qty_shipped != l.quantity "
        "OR r.qty_received + r.qty_lost != l.quantity ORDER BY s.shipment_no LIMIT 1")).first()
    if row:
        yield (f"调拨单 {row[0]}“{row[1]}”批号 {row[2]}：发出 {row[3]}，收货单记发出 {row[4]}、实收 {row[5]}、"
               f"短少 {row[6]}，实收 + 短少应等于发出且都不为负")
        return
    row = session.execute(text(
        "SELECT s.shipment_no, COUNT(*) FROM transfer_receipts t JOIN shipments s ON s.id = t.shipment_id "
        "GROUP BY t.shipment_id HAVING COUNT(*) > 1 LIMIT 1")).first()
    if row:
        yield f"调拨单 {row[0]} 收货了 {row[1]} 次（只能收货一次）"
        return
    row = session.execute(text(
        "SELECT s.shipment_no FROM transfer_receipt_lines r JOIN transfer_receipts t ON t.id = r.receipt_id "
        "JOIN shipment_lines l ON l.id = r.shipment_line_id JOIN shipments s ON s.id = t.shipment_id "
        "WHERE l.shipment_id != t.shipment_id OR s.status != 'shipped' LIMIT 1")).first()
    if row:
        yield f"调拨单 {row[0]} 的收货明细不属于这张单，或这张单并未出库"
        return
    for receipt_id, shipment_id, shipment_no in session.execute(text(
            "SELECT t.id, t.shipment_id, s.shipment_no FROM transfer_receipts t JOIN shipments s ON s.id = t.shipment_id")):
        if receipt_id != derived_id(shipment_id, "transfer_receipt"):
            yield f"调拨单 {shipment_no} 的收货单编号不是由调拨单编号推出的，可能被收货了两次"
            return
    # the township's side: TRANSFER_OUT of each shipped line's lot = what the line says was sent (= IN + loss)
    row = session.execute(text(
        "SELECT s.shipment_no, d.generic_name, l.batch_no, l.quantity, COALESCE(("
        "  SELECT -SUM(m.quantity) FROM stock_movements m JOIN batches b ON b.id = m.batch_id"
        "  WHERE m.doc_type = 'shipment' AND m.doc_id = s.id AND m.kind = 'transfer_out' AND b.drug_id = l.drug_id"
        "  AND b.batch_no = l.batch_no AND b.expiry = l.expiry), 0) AS sent "
        "FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id JOIN drugs d ON d.id = l.drug_id "
        f"WHERE s.status = 'shipped' AND l.quantity > 0 AND {_HERE.format(store='s.store_id')} "
        "AND sent != (SELECT SUM(x.quantity) FROM shipment_lines x WHERE x.shipment_id = s.id AND x.drug_id = l.drug_id"
        "  AND x.batch_no = l.batch_no AND x.expiry = l.expiry) ORDER BY s.shipment_no LIMIT 1")).first()
    if row:
        yield f"调拨单 {row[0]}“{row[1]}”批号 {row[2]}：单上发出 {row[3]}，台账调拨出库 {row[4]}，两者不符"
        return
    # the village's side: TRANSFER_IN into the receipt line's lot = qty_received
    row = session.execute(text(
        "SELECT s.shipment_no, d.generic_name, l.batch_no, r.qty_received, COALESCE(("
        "  SELECT SUM(m.quantity) FROM stock_movements m WHERE m.doc_type = 'transfer_receipt' AND m.doc_id = t.id"
        "  AND m.kind = 'transfer_in' AND m.batch_id = r.batch_id), 0) AS came "
        "FROM transfer_receipt_lines r JOIN transfer_receipts t ON t.id = r.receipt_id "
        "JOIN shipment_lines l ON l.id = r.shipment_line_id JOIN shipments s ON s.id = t.shipment_id "
        f"JOIN drugs d ON d.id = l.drug_id WHERE {_HERE.format(store='t.store_id')} "
        "AND came != (SELECT SUM(y.qty_received) FROM transfer_receipt_lines y WHERE y.receipt_id = t.id"
        "  AND y.batch_id IS r.batch_id) ORDER BY s.shipment_no LIMIT 1")).first()
    if row:
        yield f"调拨单 {row[0]}“{row[1]}”批号 {row[2]}：实收 {row[3]}，村卫生室台账调拨入库 {row[4]}，两者不符"
