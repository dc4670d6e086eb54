"""Table models (``QAbstractTableModel``) over the services' frozen dataclasses."""
