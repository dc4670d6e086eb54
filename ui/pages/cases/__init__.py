"""帮办代办: the village's cases and the township's inbox (``page.CasesPage``)."""
