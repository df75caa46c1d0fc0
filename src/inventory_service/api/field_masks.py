"""Update masks (AIP-134): the paths an Update call names, each one the RPC may update."""

from __future__ import annotations

from collections.abc import Set

from google.protobuf import field_mask_pb2

from inventory_service.domain.errors import InvalidArgument


def update_paths(mask: field_mask_pb2.FieldMask, updatable: Set[str]) -> set[str]:
    """The mask's paths; INVALID_ARGUMENT when it names none or one that is not updatable."""
    paths = set(mask.paths)
    if not paths:
        raise InvalidArgument.one("update_mask", f"required; any of {sorted(updatable)}")
    unknown = paths - updatable
    if unknown:
        raise InvalidArgument.one(
            "update_mask", f"cannot update {sorted(unknown)}; updatable: {sorted(updatable)}"
        )
    return paths
