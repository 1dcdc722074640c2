class DomainError(Exception):
    """A business rule refused the operation; the message is safe to show to staff."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class TransitionRefused(DomainError):
    """The object is not in a state that allows the operation (someone else may have acted first)."""

    def __init__(self, message: str):
        super().__init__(message, code="transition_refused")


class NotPermitted(DomainError):
    """The acting user may not do this (a screen answers 403 with the message)."""

    def __init__(self, message: str):
        super().__init__(message, code="not_permitted")
