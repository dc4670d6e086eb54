"""同步: this site's sync with its township hub — last sync, what waits to be sent, rejected changes, 立即同步."""
