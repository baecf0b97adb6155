"""Writes of the campaigns app, by sub-domain: setup, counters, fieldwork (letters and visits), checks, publicity,
imports, exports and printable letters."""
