"""Identity and roles: UNAUTHENTICATED and PERMISSION_DENIED exactly as PRODUCT.md says,
on unary calls and on the bidirectional scanner stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from inventory.v1 import catalog_pb2, inventory_count_pb2
from inventory_service.api.tokens import CACHE_SIZE, LEEWAY_SECONDS, TokenVerifier, mint_token
from inventory_service.domain.errors import Unauthenticated
from inventory_service.domain.identity import Caller, Role
from tests.helpers import (
    TEST_SECRET,
    Clients,
    ServerThread,
    clients,
    error_info,
    expect_error,
    public_key_server,
    token,
)

LIST = catalog_pb2.ListProductsRequest()


def bearer(value: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {value}")]


def test_missing_token_is_unauthenticated(api: Clients) -> None:
    error = expect_error(grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST)
    assert error_info(error).reason == "TOKEN_MISSING"


def test_malformed_authorization_header_is_unauthenticated(api: Clients) -> None:
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer "]:
        expect_error(
            grpc.StatusCode.UNAUTHENTICATED,
            api.catalog.ListProducts,
            LIST,
            metadata=[("authorization", header)],
        )


def test_bad_signature_is_unauthenticated(api: Clients) -> None:
    forged = mint_token("another-secret-of-sufficient-length!!", sub="mallory", role=Role.ADMIN)
    error = expect_error(
        grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST, metadata=bearer(forged)
    )
    assert error_info(error).reason == "TOKEN_INVALID"


def test_expired_token_is_unauthenticated(api: Clients) -> None:
    expired = mint_token(
        TEST_SECRET, sub="old", role=Role.ADMIN, ttl_seconds=60, now=time.time() - 3600
    )
    error = expect_error(
        grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST, metadata=bearer(expired)
    )
    assert error_info(error).reason == "TOKEN_EXPIRED"


def test_token_without_expiry_or_with_unknown_role_is_unauthenticated(api: Clients) -> None:
    no_exp = jwt.encode({"sub": "x", "role": "admin"}, TEST_SECRET, algorithm="HS256")
    expect_error(
        grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST, metadata=bearer(no_exp)
    )
    superuser = jwt.encode(
        {"sub": "x", "role": "superuser", "exp": int(time.time()) + 60},
        TEST_SECRET,
        algorithm="HS256",
    )
    error = expect_error(
        grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST, metadata=bearer(superuser)
    )
    assert error_info(error).reason == "TOKEN_ROLE_INVALID"
    unsigned = jwt.encode(
        {"sub": "x", "role": "admin", "exp": int(time.time()) + 60}, None, algorithm="none"
    )
    expect_error(
        grpc.StatusCode.UNAUTHENTICATED, api.catalog.ListProducts, LIST, metadata=bearer(unsigned)
    )


def test_role_too_low_is_permission_denied(api: Clients) -> None:
    create = catalog_pb2.CreateProductRequest(product=catalog_pb2.Product(sku="X", name="x"))
    for role in (Role.STAFF, Role.MANAGER):
        error = expect_error(
            grpc.StatusCode.PERMISSION_DENIED,
            api.catalog.CreateProduct,
            create,
            metadata=bearer(token(role)),
        )
        info = error_info(error)
        assert info.reason == "ROLE_TOO_LOW"
        assert info.metadata["required_role"] == "admin"
    start = inventory_count_pb2.StartInventoryCountRequest(
        name="c", type=inventory_count_pb2.INVENTORY_COUNT_TYPE_SPOT
    )
    expect_error(
        grpc.StatusCode.PERMISSION_DENIED,
        api.counts.StartInventoryCount,
        start,
        metadata=bearer(token(Role.STAFF)),
    )


def test_higher_roles_include_lower_ones(api: Clients) -> None:
    for role in Role:
        api.catalog.ListProducts(LIST, metadata=bearer(token(role)))


def _stream(
    api: Clients, metadata: list[tuple[str, str]] | None
) -> list[inventory_count_pb2.StreamCountItemsResponse]:
    requests = iter([inventory_count_pb2.StreamCountItemsRequest(device_id="scanner-1")])
    return list(api.counts.StreamCountItems(requests, metadata=metadata))


def test_bidirectional_stream_requires_a_valid_token(api: Clients) -> None:
    error = expect_error(grpc.StatusCode.UNAUTHENTICATED, _stream, api, None)
    assert error_info(error).reason == "TOKEN_MISSING"
    forged = mint_token("another-secret-of-sufficient-length!!", sub="m", role=Role.STAFF)
    expect_error(grpc.StatusCode.UNAUTHENTICATED, _stream, api, bearer(forged))


@pytest.fixture
def strict_server(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[ServerThread, ec.EllipticCurvePrivateKey]]:
    """A server verifying ES256 tokens with a public key file, issuer and audience."""
    key = ec.generate_private_key(ec.SECP256R1())
    with public_key_server(
        database_url,
        key,
        tmp_path / "jwt.pub.pem",
        jwt_issuer="https://id.example.test",
        jwt_audience="inventory",
    ) as thread:
        yield thread, key


def test_public_key_tokens_with_issuer_and_audience(
    strict_server: tuple[ServerThread, ec.EllipticCurvePrivateKey],
) -> None:
    thread, key = strict_server
    exp = int(time.time()) + 300

    def sign(**claims: object) -> str:
        return jwt.encode(
            {"sub": "svc", "role": "staff", "exp": exp, **claims}, key, algorithm="ES256"
        )

    with clients(thread.port) as api:
        good = sign(iss="https://id.example.test", aud="inventory")
        assert api.catalog.ListProducts(LIST, metadata=bearer(good)).products is not None
        for bad in (
            sign(iss="https://evil.example.test", aud="inventory"),
            sign(iss="https://id.example.test", aud="other"),
            sign(aud="inventory"),
            mint_token(
                TEST_SECRET,
                sub="svc",
                role=Role.STAFF,
                issuer="https://id.example.test",
                audience="inventory",
            ),
        ):
            expect_error(
                grpc.StatusCode.UNAUTHENTICATED,
                api.catalog.ListProducts,
                LIST,
                metadata=bearer(bad),
            )


def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    now = [time.time()]
    verifier = TokenVerifier.from_secret(TEST_SECRET)
    verifier = replace(verifier, clock=lambda: now[0])
    good = mint_token(TEST_SECRET, sub="scanner-1", role=Role.STAFF, ttl_seconds=60)

    assert verifier.verify(good) == Caller("scanner-1", Role.STAFF)
    assert verifier.verify(good) == Caller("scanner-1", Role.STAFF)  # remembered
    forged = mint_token("another-secret-long-enough-for-hs256", sub="scanner-1", role=Role.ADMIN)
    with pytest.raises(Unauthenticated) as bad:  # remembering one token trusts no other
        verifier.verify(forged)
    assert bad.value.reason == "TOKEN_INVALID"

    now[0] += 60 + LEEWAY_SECONDS + 1  # past its expiry, though once verified
    with pytest.raises(Unauthenticated) as expired:
        verifier.verify(good)
    assert expired.value.reason == "TOKEN_EXPIRED"


def test_remembered_tokens_are_bounded() -> None:
    verifier = TokenVerifier.from_secret(TEST_SECRET)
    tokens = [
        mint_token(TEST_SECRET, sub=f"user-{i}", role=Role.STAFF) for i in range(CACHE_SIZE + 10)
    ]
    for value in tokens:
        verifier.verify(value)
    assert len(verifier._verified) == CACHE_SIZE
    assert verifier.verify(tokens[0]) == Caller("user-0", Role.STAFF)  # verified afresh
