"""The domain: a dossier's facts, the advice rules, consumers and what the protocols allow.

Dataclasses and pure functions only: no XML, no HTTP, no files, no clock of the machine
(README.md in this folder; ``tests/test_architecture.py`` enforces it).
"""
