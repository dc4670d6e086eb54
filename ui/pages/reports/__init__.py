"""报表: daily log and monthly summaries."""
