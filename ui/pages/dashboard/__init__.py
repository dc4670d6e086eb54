"""工作台: the day's figures and tiles."""
