"""The contract carries the role each RPC needs: the server's table, the protos, reflection and
the README all say the same, and a server whose contract leaves an RPC without one won't start."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2
from google.protobuf.descriptor import ServiceDescriptor
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from inventory.v1 import (
    annotations_pb2,
    catalog_pb2,
    inventory_count_pb2,
    site_pb2,
    stock_adjustment_pb2,
)
from inventory_service.api import server
from inventory_service.api.method_roles import MissingRoleError, method_roles
from inventory_service.domain.identity import Role
from tests.helpers import TEST_SECRET, Clients

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos" / "inventory" / "v1"


def roles_in_proto_sources() -> dict[str, Role]:
    """Method path -> role, read from the .proto text itself (not from generated code)."""
    table: dict[str, Role] = {}
    rpc = re.compile(
        r"rpc (\w+)\([^)]*\) returns \([^)]*\) \{\s*"
        r"option \(inventory\.v1\.required_role\) = ROLE_(\w+);\s*\}"
    )
    for path in PROTOS.glob("*.proto"):
        text = path.read_text()
        for service, body in re.findall(r"^service (\w+) \{(.*?)^\}", text, re.M | re.S):
            for method, role in rpc.findall(body):
                table[f"/inventory.v1.{service}/{method}"] = Role[role]
    return table


def test_the_server_table_is_what_the_protos_declare() -> None:
    table = server.role_table()
    assert table == roles_in_proto_sources()
    assert table["/inventory.v1.CatalogService/CreateProduct"] == Role.ADMIN
    assert table["/inventory.v1.InventoryCountService/StartInventoryCount"] == Role.MANAGER
    assert table["/inventory.v1.InventoryCountService/StreamCountItems"] == Role.STAFF


def test_every_rpc_of_every_service_in_the_contract_has_a_role() -> None:
    contract = {
        f"/{service.full_name}/{method.name}"
        for module in (catalog_pb2, inventory_count_pb2, stock_adjustment_pb2, site_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert {s.full_name for s in server.SERVICES} == {p.split("/")[1] for p in contract}
    assert set(server.role_table()) == contract


def test_the_contract_roles_are_the_domain_roles() -> None:
    declared = {
        name.removeprefix("ROLE_")
        for name in annotations_pb2.Role.DESCRIPTOR.values_by_name
        if name != "ROLE_UNSPECIFIED"
    }
    assert declared == set(Role.__members__)


def unannotated_service() -> ServiceDescriptor:
    """inventory.v1.UnannotatedService with one RPC, Ping, that declares no role."""
    pool = descriptor_pool.DescriptorPool()
    empty = descriptor_pb2.FileDescriptorProto()
    empty_pb2.DESCRIPTOR.CopyToProto(empty)
    pool.Add(empty)
    pool.Add(
        descriptor_pb2.FileDescriptorProto(
            name="inventory/v1/unannotated.proto",
            package="inventory.v1",
            syntax="proto3",
            dependency=["google/protobuf/empty.proto"],
            service=[
                descriptor_pb2.ServiceDescriptorProto(
                    name="UnannotatedService",
                    method=[
                        descriptor_pb2.MethodDescriptorProto(
                            name="Ping",
                            input_type=".google.protobuf.Empty",
                            output_type=".google.protobuf.Empty",
                        )
                    ],
                )
            ],
        )
    )
    return pool.FindServiceByName("inventory.v1.UnannotatedService")


def test_an_rpc_without_a_role_is_named_in_the_error() -> None:
    with pytest.raises(MissingRoleError, match=r"inventory\.v1\.UnannotatedService\.Ping"):
        method_roles([*server.SERVICES, unannotated_service()])


def test_the_server_refuses_to_start_when_an_rpc_has_no_role(tmp_path: Path) -> None:
    """`inventory-service serve` with one more service, whose RPC declares no role."""
    database = tmp_path / "never.db"
    serve_with_unannotated_service = (
        "import sys; from inventory_service import cli; from inventory_service.api import server; "
        "from tests.test_method_roles import unannotated_service; "
        "server.SERVICES.append(unannotated_service()); sys.exit(cli.main(sys.argv[1:]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env["INVENTORY_JWT_SECRET"] = TEST_SECRET
    serve = ["serve", "--listen", "127.0.0.1:0", "--database-url", f"sqlite:///{database}"]
    result = subprocess.run(
        [sys.executable, "-c", serve_with_unannotated_service, *serve],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # a server that starts anyway serves until killed: this fails the test
    )

    assert result.returncode == 2  # as every configuration error
    [error] = [json.loads(line) for line in result.stderr.splitlines() if '"error"' in line]
    assert error["level"] == "error"
    assert "inventory.v1.UnannotatedService.Ping" in error["message"]
    assert "required_role" in error["message"]
    assert not database.exists()  # refused before touching anything


def test_reflection_shows_the_role_of_each_rpc(api: Clients) -> None:
    """What a client without stubs sees: the files reflection serves carry the options."""
    stub = reflection_pb2_grpc.ServerReflectionStub(api.channel)
    request = reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="inventory.v1.InventoryCountService"
    )
    [response] = list(stub.ServerReflectionInfo(iter([request])))
    files = {
        f.name: f
        for f in map(
            descriptor_pb2.FileDescriptorProto.FromString,
            response.file_descriptor_response.file_descriptor_proto,
        )
    }
    # The extension's definition travels with the service, so a client can decode it.
    [extension] = files["inventory/v1/annotations.proto"].extension
    assert (extension.name, extension.extendee) == (
        "required_role",
        ".google.protobuf.MethodOptions",
    )
    served = {
        f"/inventory.v1.{service.name}/{method.name}": Role[
            annotations_pb2.Role.Name(
                method.options.Extensions[annotations_pb2.required_role]
            ).removeprefix("ROLE_")
        ]
        for file in files.values()
        if file.package == "inventory.v1"
        for service in file.service
        for method in service.method
    }
    assert served == server.role_table()


def readme_roles_table() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- roles:start -->\n(.*?)<!-- roles:end -->", text, re.S)
    assert found, "README.md has no roles table between <!-- roles:start/end --> markers"
    return found.group(1)


def test_the_readme_shows_the_table_the_server_enforces() -> None:
    table = server.role_table()
    rows = ["| RPC | Least role |", "| --- | --- |"]
    for service in server.SERVICES:
        for method in service.methods:
            role = table[f"/{service.full_name}/{method.name}"]
            rows.append(f"| `{service.name}.{method.name}` | {role.name.lower()} |")
    expected = "\n".join(rows) + "\n"
    assert readme_roles_table() == expected, f"README.md roles table should read:\n{expected}"
