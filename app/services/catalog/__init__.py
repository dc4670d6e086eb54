"""The drug catalog: drugs, prices, per-store drug settings and catalog import."""
