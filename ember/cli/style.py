"""Colour for the command line, only where a person is looking.

Colour is used when the stream is a terminal, ``NO_COLOR`` is unset or empty
(https://no-color.org), ``TERM`` is not ``dumb`` and ``--no-color`` was not
given. Piped output is always plain, so scripts and files never see escapes.
"""
import os
import sys

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
_forced_off = False


def disable():
    """``--no-color``: plain text everywhere for the rest of the process."""
    global _forced_off
    _forced_off = True


def enabled(stream=None):
    stream = sys.stdout if stream is None else stream
    if _forced_off or os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def paint(text, *styles, stream=None):
    """``text`` wrapped in the ANSI codes for ``styles`` if ``stream`` gets colour."""
    if not styles or not enabled(stream):
        return text
    codes = ";".join(_CODES[s] for s in styles)
    return f"\x1b[{codes}m{text}\x1b[0m"


def bold(text, stream=None):
    return paint(text, "bold", stream=stream)


def warn(text, stream=None):
    return paint(text, "yellow", stream=stream)


def bad(text, stream=None):
    return paint(text, "red", stream=stream)


def good(text, stream=None):
    return paint(text, "green", stream=stream)
