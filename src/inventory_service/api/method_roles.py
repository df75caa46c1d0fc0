"""The role each RPC needs, read from the contract.

Every RPC of our services declares `option (inventory.v1.required_role)` in protos/; the server
builds its table from the service descriptors at start and refuses to start when one has none.
Methods in no table and not public are refused."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from inventory.v1 import annotations_pb2
from inventory_service.domain.identity import Role

# Health and reflection answer without a token.
PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


class MissingRoleError(Exception):
    """An RPC of the contract declares no role (or one this server does not know)."""


def method_path(service: ServiceDescriptor, method: MethodDescriptor) -> str:
    """The path a call carries: /package.Service/Method."""
    return f"/{service.full_name}/{method.name}"


def declared_role(method: MethodDescriptor) -> Role | None:
    """The method's (inventory.v1.required_role) as a domain role; None when not declared."""
    value = method.GetOptions().Extensions[annotations_pb2.required_role]
    if value == annotations_pb2.ROLE_UNSPECIFIED:
        return None
    name = annotations_pb2.Role.Name(value).removeprefix("ROLE_")
    if name not in Role.__members__:
        raise MissingRoleError(f"{method.full_name} declares {name}, a role this server lacks")
    return Role[name]


def method_roles(services: Iterable[ServiceDescriptor]) -> dict[str, Role]:
    """Method path -> least role, for every RPC of services; MissingRoleError names each RPC
    without one."""
    table: dict[str, Role] = {}
    missing: list[str] = []
    for service in services:
        for method in service.methods:
            role = declared_role(method)
            if role is None:
                missing.append(method.full_name)
            else:
                table[method_path(service, method)] = role
    if missing:
        raise MissingRoleError(
            "every RPC must declare option (inventory.v1.required_role) in protos/; "
            f"missing on {', '.join(missing)}"
        )
    return table


def is_public(method: str) -> bool:
    return method.startswith(PUBLIC_PREFIXES)
