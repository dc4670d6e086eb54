"""Monthly unified statements 统一结算单: the township deducts the drugs it supplied from what the pooling
fund and the basic-drug subsidy owe each village (代扣代结)."""
