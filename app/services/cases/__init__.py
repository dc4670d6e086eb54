"""Assisted filing 帮办代办 (DESIGN §6): cases opened at a village, reviewed by the township's case worker."""
