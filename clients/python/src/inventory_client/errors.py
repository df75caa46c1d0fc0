"""Failed calls as Python exceptions, with the server's google.rpc details decoded (AIP-193).

Every error the service sends is a google.rpc.Status in the trailers: an ErrorInfo with a stable
`reason` (SKU_TAKEN, INSUFFICIENT_STOCK, ...) and its metadata, BadRequest field violations for
INVALID_ARGUMENT, PreconditionFailure violations, ResourceInfo for NOT_FOUND. Each status code has
its own subclass, so callers write `except NotFound:`; every one is an InventoryError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request (BadRequest.FieldViolation)."""

    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One unmet precondition (PreconditionFailure.Violation): type, what it concerns, why."""

    type: str
    subject: str
    description: str


class InventoryError(Exception):
    """A call the service refused or could not answer."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: dict[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
        precondition_violations: Iterable[PreconditionViolation] = (),
        resource_type: str = "",
        resource_name: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations)
        self.precondition_violations = list(precondition_violations)
        self.resource_type = resource_type
        self.resource_name = resource_name

    def __str__(self) -> str:
        reason = f" [{self.reason}]" if self.reason else ""
        return f"{self.code.name}{reason}: {self.message}"

    def summary(self) -> str:
        """One line with everything: code, reason, message, violations."""
        parts = [str(self)]
        parts += [f"{v.field}: {v.description}" for v in self.field_violations]
        parts += [
            f"{v.subject}: {v.description}" if v.subject else v.description
            for v in self.precondition_violations
        ]
        # The server's message often is the violations' text already: say each thing once.
        return "; ".join(p for i, p in enumerate(parts) if i == 0 or p not in self.message)

    def as_dict(self) -> dict[str, Any]:
        """For JSON output; empty parts are left out."""
        data: dict[str, Any] = {
            "code": self.code.name,
            "message": self.message,
            "reason": self.reason,
            "domain": self.domain,
            "metadata": self.metadata,
            "fieldViolations": [vars(v) for v in self.field_violations],
            "preconditionViolations": [vars(v) for v in self.precondition_violations],
            "resourceType": self.resource_type,
            "resourceName": self.resource_name,
        }
        return {key: value for key, value in data.items() if value}


class Cancelled(InventoryError):
    pass


class InvalidArgument(InventoryError):
    pass


class DeadlineExceeded(InventoryError):
    pass


class NotFound(InventoryError):
    pass


class AlreadyExists(InventoryError):
    pass


class PermissionDenied(InventoryError):
    pass


class ResourceExhausted(InventoryError):
    pass


class FailedPrecondition(InventoryError):
    pass


class Aborted(InventoryError):
    pass


class Unavailable(InventoryError):
    pass


class Unauthenticated(InventoryError):
    pass


_CLASSES: dict[grpc.StatusCode, type[InventoryError]] = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}


def status_code(number: int) -> grpc.StatusCode:
    """The gRPC code of a google.rpc.Code number (they share their numbers)."""
    return _CODES_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def error_from_status(
    status: status_pb2.Status, code: grpc.StatusCode | None = None
) -> InventoryError:
    """The exception for a google.rpc.Status (a failed call's, or a rejected stream entry's)."""
    code = code or status_code(status.code)
    found: dict[str, Any] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            found.update(reason=info.reason, domain=info.domain, metadata=dict(info.metadata))
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found["field_violations"] = [
                FieldViolation(v.field, v.description) for v in bad.field_violations
            ]
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            found["precondition_violations"] = [
                PreconditionViolation(v.type, v.subject, v.description) for v in failure.violations
            ]
        elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            resource = error_details_pb2.ResourceInfo()
            detail.Unpack(resource)
            found.update(resource_type=resource.resource_type, resource_name=resource.resource_name)
    return _CLASSES.get(code, InventoryError)(code, status.message, **found)


def error_from_rpc(error: grpc.RpcError) -> InventoryError:
    """The exception for a failed call (blocking or asyncio), its rich details decoded."""
    call: Any = error  # a failed call's RpcError is also its grpc.Call (grpc-stubs miss it)
    code: grpc.StatusCode = call.code()
    status = status_pb2.Status(message=call.details() or "")
    for key, value in call.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
    return error_from_status(status, code)
