"""Use cases, one module per area. They take plain values and return frozen dataclasses."""
