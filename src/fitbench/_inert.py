"""Text from a run folder made inert before it leaves fitbench: on a terminal, and in a CSV file.

A folder's names and texts are untrusted. Printed raw, an escape sequence retitles the
terminal or erases lines, a carriage return overwrites what was shown, and a bidi override
reorders it; written raw into a CSV file, ``=HYPERLINK(...)`` becomes a formula the spreadsheet
runs. ``printable`` (and the command line's ``say``) escapes every character that is not printable (as ``repr`` would
show it); ``spreadsheet_safe`` neutralises a cell that a spreadsheet reads as a formula.
"""

from __future__ import annotations

from typing import Any

__all__ = ["printable", "spreadsheet_safe"]

# OWASP's CSV injection rule: a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every character ``str.isprintable`` refuses (controls, escapes, line and
    paragraph separators, bidi overrides, unpaired surrogates) written as ``\\x1b``, ``\\u202e``.

    ``keep_newlines``: leave ``\\n`` as it is, for a block of several lines fitbench built.
    """
    if text.isprintable():  # the common case, in C
        return text
    return "".join(char if char.isprintable() or char == " " or (keep_newlines and char == "\n") else _escape(char)
                   for char in text)


def spreadsheet_safe(cell: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, prefixed with ``'`` (OWASP); numbers and
    other text as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
