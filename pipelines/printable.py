"""Text from outside the program (file names, reasons quoting a cell), made safe to print.

A file name may hold a line break, which would forge a line of the run's
summary, or an escape sequence, which the terminal would obey. Every character
that does not print is shown as its escape (`\\n`, `\\x1b`, `\\u202e`), and a name
that needed one, or that starts or ends with a space, is put in quotes, so it
can never be mistaken for the program's own words.
"""

from __future__ import annotations

_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: str) -> str:
    """The text with every character that does not print written as its escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def quoted_name(name: object) -> str:
    """A file name or path as printed: as it is, or quoted and escaped if it needs to be."""
    text = str(name)
    if text.isprintable() and text == text.strip() and not text.startswith('"'):
        return text
    return '"' + escaped(text).replace('"', '\\"') + '"'


def _escape(character: str) -> str:
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
