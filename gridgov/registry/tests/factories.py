"""Test helpers for the registry: real-looking numbers and tables for the import engine."""

import io

from gridgov.core.identity import ric_check_digit
from gridgov.registry.readers import Table


def make_id(birth: str = "19850312", county: str = "411627", sequence: str = "123") -> str:
    first17 = county + birth + sequence
    return first17 + ric_check_digit(first17)


def table(text: str) -> Table:
    """A Table from CSV text, as read_table would give for a file."""
    import csv

    rows = list(csv.reader(io.StringIO(text.strip() + "\n")))
    headers, body = rows[0], rows[1:]
    return Table(
        headers=headers, rows=iter((n, r) for n, r in enumerate(body, start=2) if any(r)), total=len(body)
    )
