"""Who acted: services take an `actor` (a user, an anonymous visitor, or None for the system)."""


def user_or_none(actor):
    """The user to store as the one who acted: None for the system and for anonymous visitors
    (a customer on the tracking page)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
