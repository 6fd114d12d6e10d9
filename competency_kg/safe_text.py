"""Text that leaves the program for a person: a spreadsheet, a terminal, a log.

Labels and messages come from source documents and requests, so any of them may carry what
the reader's software acts on: a formula (``=HYPERLINK(…)``) a spreadsheet runs, a terminal
escape (OSC 52 writes the clipboard, others retitle the window or hide text), a newline that
forges a log line. One helper per destination, used by every writer of that kind:

- :func:`csv_text` — every CSV the project writes itself (validation and comparison reports):
  a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` and quotes
  (OWASP, "CSV Injection"). SPARQL CSV results do not go through it: they follow the SPARQL
  1.1 CSV format exactly.
- :func:`for_terminal` — human-readable command output: control characters other than line
  feed and tab are shown as escapes (``\\x1b``), so nothing reaches the terminal as a command.
- :func:`escape_controls` and :class:`EscapingFormatter` — log records: every control
  character, newlines included, is escaped, so a logged value stays on its own line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The same, but for multi-line terminal text: line feed and tab are layout, not commands.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: What a spreadsheet reads as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number ("-0.25") is data, not a formula: it keeps its sign.
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: control characters as escapes.

    >>> escape_controls("a\\n[INFO] forged\\x1b]52;c;eA==\\x07")
    'a\\\\n[INFO] forged\\\\x1b]52;c;eA==\\\\x07'
    """
    return _CONTROLS.sub(_escape, text)


def for_terminal(text: str) -> str:
    """Human-readable output as a terminal should get it: line breaks and tabs kept, every
    other control character (ESC, BEL, CR, NUL…) shown as an escape.

    >>> for_terminal("title\\x1b]0;pwned\\x07\\tnext\\n")
    'title\\\\x1b]0;pwned\\\\x07\\tnext\\n'
    """
    return _TERMINAL_CONTROLS.sub(_escape, text)


def csv_cell(value: object) -> str:
    """One CSV cell's text, a formula neutralised: ``=1+1`` → ``'=1+1`` (quoted by
    :func:`csv_text`); numbers stay numbers.

    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-0.5"), csv_cell("@SUM(A1)")
    ('\\'=HYPERLINK("http://x")', '-0.5', "'@SUM(A1)")
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def _csv_field(value: object) -> str:
    text = csv_cell(value)
    neutralised = text.startswith("'") and text[1:2] in _FORMULA_START
    if neutralised or any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV (RFC 4180 quoting, ``\\n`` line ends), each formula cell neutralised.

    >>> csv_text([["label", "gap"], ["=cmd|' /C calc'!A0", -1]])
    'label,gap\\n"\\'=cmd|\\' /C calc\\'!A0",-1\\n'
    """
    return "".join(",".join(_csv_field(v) for v in row) + "\n" for row in rows)


class EscapingFormatter(logging.Formatter):
    """A formatter whose lines cannot be forged: the message (with its arguments filled in)
    is escaped onto one line, and a traceback's lines are indented, so every line that starts
    at the margin is one this formatter began."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extra = []
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            extra.append(record.exc_text)
        if record.stack_info:
            extra.append(self.formatStack(record.stack_info))
        for block in extra:
            for part in block.splitlines():
                line += "\n  " + _TERMINAL_CONTROLS.sub(_escape, part).replace("\t", "\\t")
        return line


def install_log_escaping(handler: logging.Handler) -> None:
    """Give ``handler`` an :class:`EscapingFormatter` with the format it already has."""
    current = handler.formatter or logging.Formatter()
    handler.setFormatter(EscapingFormatter(getattr(current, "_fmt", None), current.datefmt))


__all__ = [
    "EscapingFormatter",
    "csv_cell",
    "csv_text",
    "escape_controls",
    "for_terminal",
    "install_log_escaping",
]
