"""Domain errors. The API layer maps each class to one gRPC status code (api/status.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    type: str
    subject: str
    description: str


class DomainError(Exception):
    """Base of every error the service layer raises on purpose.

    `reason` is a stable UPPER_SNAKE code that clients may switch on (ErrorInfo.reason).
    """

    def __init__(
        self, message: str, *, reason: str, metadata: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.metadata = metadata or {}


class InvalidArgument(DomainError):
    def __init__(
        self,
        violations: list[FieldViolation],
        *,
        reason: str = "INVALID_ARGUMENT",
        message: str | None = None,
    ) -> None:
        text = message or "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(text, reason=reason)
        self.violations = violations

    @classmethod
    def one(
        cls, field_name: str, description: str, *, reason: str = "INVALID_ARGUMENT"
    ) -> InvalidArgument:
        return cls([FieldViolation(field_name, description)], reason=reason)


class NotFound(DomainError):
    def __init__(
        self, resource_type: str, resource_name: str, *, reason: str | None = None
    ) -> None:
        super().__init__(
            f"{resource_type} {resource_name!r} not found",
            reason=reason or f"{resource_type.upper().replace(' ', '_')}_NOT_FOUND",
        )
        self.resource_type = resource_type
        self.resource_name = resource_name


class AlreadyExists(DomainError):
    def __init__(self, message: str, *, reason: str, field_name: str = "") -> None:
        super().__init__(message, reason=reason)
        self.field_name = field_name


class FailedPrecondition(DomainError):
    def __init__(
        self,
        message: str,
        *,
        reason: str,
        violations: list[PreconditionViolation] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations = violations or []


class PermissionDenied(DomainError):
    pass


class Unauthenticated(DomainError):
    pass


class Unavailable(DomainError):
    """This server cannot go on (it is shutting down); the caller should retry, elsewhere."""


class ResourceExhausted(DomainError):
    """This server holds as many calls of this kind as it may, or the caller sent more than it
    may; the caller should back off (retry_after: seconds, sent as google.rpc.RetryInfo)."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        metadata: dict[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after = retry_after


class Aborted(DomainError):
    """A concurrent change got in the way; the caller may retry."""


@dataclass
class ErrorCollector:
    """Gathers field violations so a request reports all of them at once."""

    violations: list[FieldViolation] = field(default_factory=list)

    def add(self, field_name: str, description: str) -> None:
        self.violations.append(FieldViolation(field_name, description))

    def extend(self, violations: list[FieldViolation]) -> None:
        self.violations.extend(violations)

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)
