"""Use cases, one package per capability (DESIGN §2). They take plain values and return frozen dataclasses.

Layers, kept by import-linter: demo → settlement → stock | residents → catalog → core.
"""
