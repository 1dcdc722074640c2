"""What each kind of message needs, registered by the app that owns the event.

The notifications app calls no other app: an app registers its kinds in its
`AppConfig.ready()` with `register(...)`, saying

- `subject`: a Django template string rendered with the message's context;
- `context`: `context(notification) -> dict`, loading what the templates
  `notifications/<kind>.txt` and `<kind>.html` show (the object, its lines, links);
- `attachments` (optional): `attachments(notification, context) -> [(filename, bytes, mimetype)]`.

Sending a message of a kind nobody registered is refused when it is requested, not when it is sent.
"""

from collections.abc import Callable
from dataclasses import dataclass

Attachment = tuple[str, bytes, str]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    subject: str
    context: Callable[..., dict]
    attachments: Callable[..., list[Attachment]] | None = None


_KINDS: dict[str, Kind] = {}


def register(name: str, *, label: str, subject: str, context: Callable[..., dict],
             attachments: Callable[..., list[Attachment]] | None = None) -> Kind:
    existing = _KINDS.get(name)
    kind = Kind(name=name, label=label, subject=subject, context=context, attachments=attachments)
    if existing is not None and existing != kind:
        raise ValueError(f"Notification kind {name!r} is registered twice.")
    _KINDS[name] = kind
    return kind


def kind_get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"No app registered the notification kind {name!r}.") from None


def kind_label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name.replace("_", " ").capitalize()


def kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)
