"""Township operations 三统: purchasing, requisitions 报量, shipments 调拨, receipts 调拨入库, returns, and
the township's overview of its villages' drugs 村室药品一览."""
