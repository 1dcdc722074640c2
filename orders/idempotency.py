"""The intake API's idempotency: a request body reduced to a hash, and what two bodies differ in.

A channel's order reference is its idempotency key (as payment APIs take an Idempotency-Key):
the same key with the same body is a retry, the same key with another body is the channel's bug.
"""

import hashlib
import json

from oms.exceptions import DomainError


class IntakeReplayDiffers(DomainError):
    """An external reference sent again with another body; `fields` names what changed."""

    def __init__(self, fields: list[str]):
        super().__init__("was already used for an order with another body; these fields differ: "
                         + ", ".join(fields), code="idempotency_mismatch")
        self.fields = fields


def body_hash(body) -> str:
    """SHA-256 of the body as canonical JSON: key order and spacing do not matter, values do."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _leaves(value, where: str = "") -> dict[str, object]:
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in _leaves(item, f"{where}.{key}" if where else key).items()}
    if isinstance(value, list) and value:
        return {k: v for i, item in enumerate(value) for k, v in _leaves(item, f"{where}[{i}]").items()}
    return {where or "body": value}


def differing_fields(first, second) -> list[str]:
    """The paths (`customer.email`, `lines[0].quantity`) whose values differ between two bodies."""
    a, b = _leaves(first), _leaves(second)
    return sorted(path for path in a.keys() | b.keys() if a.get(path, ...) != b.get(path, ...)
                  or type(a.get(path)) is not type(b.get(path)))
