"""Page tokens are signed with a secret: never one derived from public material, and a token
that is not one of ours, or whose contents make no sense, is INVALID_ARGUMENT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from inventory.v1 import catalog_pb2
from tests.helpers import (
    STAFF,
    TEST_SECRET,
    Clients,
    expect_error,
    field_violations,
    write_public_key,
)

CLI = [sys.executable, "-m", "inventory_service.cli"]


def _public_key_file(tmp_path: Path) -> Path:
    return write_public_key(ec.generate_private_key(ec.SECP256R1()), tmp_path / "jwt.pub.pem")


def test_a_public_key_configuration_without_a_page_token_secret_refuses_to_start(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env["INVENTORY_JWT_PUBLIC_KEY_FILE"] = str(_public_key_file(tmp_path))
    env["INVENTORY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'inventory.db'}"
    server = subprocess.Popen(
        [*CLI, "serve", "--listen", "127.0.0.1:0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        pytest.fail("the server started without a page token secret")
    assert server.returncode == 2
    assert "INVENTORY_PAGE_TOKEN_SECRET" in err


def _signed(secret_seed: str, payload: object) -> str:
    """A page token with any payload, signed as the server signs them."""
    secret = hashlib.sha256(secret_seed.encode()).digest()
    raw = json.dumps(payload).encode()
    signature = hmac.new(secret, raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(signature + raw).decode().rstrip("=")


# ListProducts' scope, so a token gets past the filter check to its contents.
SCOPE = hashlib.sha256(b"ListProducts:False").hexdigest()[:16]


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        [1, 2],
        {"s": SCOPE},
        {"s": SCOPE, "k": 7},
        {"s": SCOPE, "k": [["t", "not a time"]]},
        {"s": SCOPE, "k": [["d", 20240101]]},
        {"s": SCOPE, "k": [["x"]]},
        {"s": SCOPE, "k": [["v", {"a": 1}]]},
        {"s": SCOPE, "k": [["v", "a"], ["v", "b"], ["v", "c"]]},
        {"s": SCOPE, "k": [["v", 5]]},
    ],
)
def test_a_validly_signed_page_token_with_nonsense_inside_is_invalid_argument(
    api: Clients, payload: object
) -> None:
    # The test server signs with a secret derived from its HS256 secret; a token whose
    # contents make no sense (only a holder of the secret can make one) is still refused.
    token = _signed("page-tokens:" + TEST_SECRET, payload)
    error = expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        api.catalog.ListProducts,
        catalog_pb2.ListProductsRequest(page_token=token),
        metadata=STAFF,
    )
    assert set(field_violations(error)) == {"page_token"}
