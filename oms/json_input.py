"""JSON from outside (the intake API, webhooks), read with bounds.

Python's decoder recurses once per nesting level (a body of 100,000 `[` is a RecursionError)
and refuses to turn more than 4,300 digits into an int (a ValueError): both would be 500s.
Real bodies are a few levels deep and hold prices and quantities, so anything far past
that is refused with a message the caller can answer with 400.
"""

import json
import re

MAX_DEPTH = 32
MAX_NUMBER_LENGTH = 40
# Strings (skipped whole, escapes included) and the brackets that open and close a level.
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class UnreadableJSON(ValueError):
    """The body is not JSON this server reads; the message says why."""


def _bounded_number(literal: str, convert):
    if len(literal) > MAX_NUMBER_LENGTH:
        raise UnreadableJSON(f"has a number longer than {MAX_NUMBER_LENGTH} characters")
    return convert(literal)


def _depth(body: bytes) -> int:
    depth = deepest = 0
    for match in _STRUCTURE.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def load_bounded_json(body: bytes):
    """The decoded body; UnreadableJSON when it is not JSON, too deep or has an oversized number."""
    if _depth(body) > MAX_DEPTH:
        raise UnreadableJSON(f"is nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(body or b"null",
                          parse_int=lambda s: _bounded_number(s, int),
                          parse_float=lambda s: _bounded_number(s, float))
    except UnreadableJSON:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableJSON("is not valid JSON") from exc
