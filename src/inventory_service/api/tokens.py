"""JWT verification (and minting, for development)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from inventory_service.domain.errors import Unauthenticated
from inventory_service.domain.identity import Caller, Role
from inventory_service.domain.places import ascii_upper

# Clock skew allowed between the token's issuer and this server: a token is accepted until 30 s
# after its `exp` (and an `iat` up to 30 s ahead). The README says so.
LEEWAY_SECONDS = 30
# The longest lifetime a token may claim (exp - iat, or exp - now without iat), unless set.
MAX_LIFETIME_SECONDS = 24 * 3600
# The user id is stored with every record (columns of 200 characters): a longer one, or one
# PostgreSQL text cannot hold, is refused rather than cut or failing the write.
MAX_SUBJECT = 200
# Verified tokens kept (a client sends the same token on every call; checking its signature
# and claims each time was a tenth of a cheap call's CPU). Bounded: the oldest go first.
CACHE_SIZE = 4096


@dataclass(frozen=True)
class TokenVerifier:
    key: str
    algorithms: list[str]
    issuer: str | None = None
    audience: str | None = None
    max_lifetime_seconds: float = MAX_LIFETIME_SECONDS
    clock: Callable[[], float] = time.time
    # token -> (caller, expiry); only tokens that passed verify, so only expiry can change.
    _verified: dict[str, tuple[Caller, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_secret(
        cls,
        secret: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        max_lifetime_seconds: float = MAX_LIFETIME_SECONDS,
    ) -> TokenVerifier:
        return cls(secret, ["HS256"], issuer, audience, max_lifetime_seconds)

    @classmethod
    def from_public_key_file(
        cls,
        path: Path,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        max_lifetime_seconds: float = MAX_LIFETIME_SECONDS,
    ) -> TokenVerifier:
        """RS256 for an RSA key, ES256 for an EC key: a token signed with the other kind is
        then refused as invalid instead of failing inside the JWT library. Raises ValueError
        for a file that holds neither."""
        pem = path.read_text()
        key = serialization.load_pem_public_key(pem.encode())
        if isinstance(key, rsa.RSAPublicKey):
            return cls(pem, ["RS256"], issuer, audience, max_lifetime_seconds)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return cls(pem, ["ES256"], issuer, audience, max_lifetime_seconds)
        raise ValueError(f"{path}: not an RSA or EC public key")

    def verify(self, token: str) -> Caller:
        cached = self._verified.get(token)
        if cached is not None:
            caller, expires = cached
            if self.clock() <= expires + LEEWAY_SECONDS:
                return caller
            del self._verified[token]
            raise Unauthenticated("token has expired", reason="TOKEN_EXPIRED")
        caller, expires = self._decode(token)
        if len(self._verified) >= CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (caller, expires)
        return caller

    def _decode(self, token: str) -> tuple[Caller, float]:
        """The caller and the expiry time of a token whose signature and claims check out."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self.audience is not None,
                    "verify_iss": self.issuer is not None,
                },
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("token has expired", reason="TOKEN_EXPIRED") from error
        except (jwt.PyJWTError, ValueError, TypeError) as error:  # a token this key cannot check
            raise Unauthenticated(f"invalid token: {error}", reason="TOKEN_INVALID") from error
        subject = claims.get("sub")
        role = Role.parse(claims.get("role"))
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("token has no subject", reason="TOKEN_INVALID")
        if len(subject) > MAX_SUBJECT or "\x00" in subject:
            raise Unauthenticated(
                f"token subject must be at most {MAX_SUBJECT} characters, without NUL",
                reason="TOKEN_INVALID",
            )
        if role is None:
            raise Unauthenticated(
                "token role must be staff, manager or admin", reason="TOKEN_ROLE_INVALID"
            )
        expires = float(claims["exp"])
        self._check_lifetime(expires, claims.get("iat"))
        return Caller(subject, role, _sites(claims.get("sites", None))), expires

    def _check_lifetime(self, expires: float, issued: object) -> None:
        """A token may live at most max_lifetime_seconds from its `iat` (from now without one):
        a leaked token that claims to be valid for years is refused, not trusted for years."""
        start = float(issued) if isinstance(issued, int | float) else self.clock()
        if expires - start > self.max_lifetime_seconds:
            raise Unauthenticated(
                f"token lifetime is over {int(self.max_lifetime_seconds)} seconds",
                reason="TOKEN_INVALID",
                metadata={"max_lifetime_seconds": str(int(self.max_lifetime_seconds))},
            )


MAX_SITES = 1000


def _sites(claim: object) -> frozenset[str] | None:
    """The `sites` claim: a list of site codes (compared in upper case); absent: every site."""
    if claim is None:
        return None
    if (
        not isinstance(claim, list)
        or len(claim) > MAX_SITES
        or not all(isinstance(code, str) and 0 < len(code) <= 32 for code in claim)
    ):
        raise Unauthenticated(
            f"token sites must be a list of at most {MAX_SITES} site codes",
            reason="TOKEN_INVALID",
        )
    return frozenset(ascii_upper(code) for code in claim)


def mint_token(
    secret: str,
    *,
    sub: str,
    role: Role,
    ttl_seconds: int = 12 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
    sites: list[str] | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {
        "sub": sub,
        "role": role.name.lower(),
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    if sites is not None:
        claims["sites"] = sites
    return jwt.encode(claims, secret, algorithm="HS256")
