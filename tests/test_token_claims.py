"""What a token must claim to be accepted: a role named exactly as documented, and a lifetime
within the cap (issue 16). Pure TokenVerifier, no server."""

from __future__ import annotations

import time

import jwt
import pytest

from inventory_service.api.tokens import LEEWAY_SECONDS, TokenVerifier
from inventory_service.domain.errors import Unauthenticated
from inventory_service.domain.identity import Role
from inventory_service.settings import Settings

SECRET = "token-claims-secret-long-enough-for-hs256"


def verifier(max_lifetime_seconds: float = 24 * 3600) -> TokenVerifier:
    return TokenVerifier.from_secret(SECRET, max_lifetime_seconds=max_lifetime_seconds)


def signed(**claims: object) -> str:
    return jwt.encode({"sub": "mallory", **claims}, SECRET, algorithm="HS256")


def refusal(token: str, checker: TokenVerifier | None = None) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as raised:
        (checker or verifier()).verify(token)
    return raised.value


NOT_ROLES = ["adm\u0131n", "ADMIN", "Admin", "admin ", "\u017ftaff", "manager\x00"]


@pytest.mark.parametrize("role", NOT_ROLES)
def test_a_role_is_matched_exactly_never_after_case_folding(role: str) -> None:
    now = int(time.time())
    error = refusal(signed(role=role, iat=now, exp=now + 60))
    assert error.reason == "TOKEN_ROLE_INVALID"


@pytest.mark.parametrize("role", list(Role))
def test_the_three_documented_roles_are_accepted(role: Role) -> None:
    now = int(time.time())
    caller = verifier().verify(signed(role=role.name.lower(), iat=now, exp=now + 60))
    assert caller.role is role


def test_a_token_claiming_a_lifetime_over_the_cap_is_refused() -> None:
    now = int(time.time())
    checker = verifier()
    error = refusal(signed(role="admin", iat=now, exp=now + 10**12), checker)
    assert error.reason == "TOKEN_INVALID"
    assert error.metadata == {"max_lifetime_seconds": str(24 * 3600)}
    # Issued long ago for a long time: the lifetime counts from iat, not from now.
    old = now - 3600
    refusal(signed(role="admin", iat=old, exp=old + 24 * 3600 + 1), checker)
    assert checker.verify(signed(role="admin", iat=now, exp=now + 24 * 3600)).role is Role.ADMIN


def test_without_iat_the_cap_counts_from_now() -> None:
    now = int(time.time())
    checker = verifier(max_lifetime_seconds=600)
    assert checker.verify(signed(role="staff", exp=now + 500)).role is Role.STAFF
    assert refusal(signed(role="staff", exp=now + 900), checker).reason == "TOKEN_INVALID"


def test_the_cap_is_a_setting_with_a_24_hour_default() -> None:
    assert Settings.from_env({}).jwt_max_lifetime_seconds == 24 * 3600
    env = {"INVENTORY_JWT_MAX_LIFETIME_SECONDS": "3600"}
    assert Settings.from_env(env).jwt_max_lifetime_seconds == 3600


def test_the_documented_leeway_is_30_seconds_past_exp() -> None:
    now = int(time.time())
    checker = verifier()
    assert LEEWAY_SECONDS == 30
    assert checker.verify(signed(role="staff", iat=now - 70, exp=now - 10)).role is Role.STAFF
    assert refusal(signed(role="staff", iat=now - 100, exp=now - 40), checker).reason == (
        "TOKEN_EXPIRED"
    )
