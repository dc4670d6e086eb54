"""药品库存: on hand, receiving, write-off, stocktake, stock card and catalog."""
