"""设置: site, printers, users and the audit log."""
