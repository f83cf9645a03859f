"""Errors the domain raises. Each carries a stable snake_case code and a sentence for a person.

The web layer maps the kind of error to an HTTP status; the CLI maps any of them to exit 2.
"""


class DomainError(Exception):
    """Well-formed but invalid: HTTP 422."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Facts a screen can use as they are (the figures of a refused close, each bad CSV row),
        # so that nobody has to parse the sentence.
        self.details = details or {}
        if code is not None:
            self.code = code


class Invalid(DomainError):
    """A value breaks a rule (unknown barcode, negative quantity, bad check digit): 422."""


class Conflict(DomainError):
    """The state forbids it (sale already paid, line already voided): 409."""

    code = "conflict"


class NotFound(DomainError):
    """The thing named does not exist: 404."""

    code = "not_found"


class Forbidden(DomainError):
    """The acting user's role lacks the permission: 403."""

    code = "forbidden"


class Unauthenticated(DomainError):
    """No session, an expired one, or bad credentials: 401."""

    code = "unauthenticated"


class Locked(DomainError):
    """The account is locked out: 423."""

    code = "account_locked"


class TooManyAttempts(DomainError):
    """Too many attempts from one origin: 429."""

    code = "too_many_attempts"
