"""MAGDA wire format: safe parsing, requests and replies per message (lxml)."""
