"""AIP-158 paging at the edge: page_size rules, opaque signed page tokens, and the one helper
every List call pages through.

A token carries the last key of the previous page and a digest of the request's filters (the
request without its paging fields). It is signed, so a client can neither forge a position nor
reuse a token with other filters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from google.protobuf.message import Message

from inventory_service.api.blocking import BlockingRunner
from inventory_service.domain.errors import InvalidArgument
from inventory_service.domain.paging import Key, Page, PageRequest

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, bool | int | str) or value is None:
        return ["v", value]
    raise TypeError(f"cannot put {type(value).__name__} in a page token")


def _decode_value(tagged: Any) -> Any:
    """Raises ValueError for anything encode() would not have written."""
    if not isinstance(tagged, list) or len(tagged) != 2:
        raise ValueError("not a tagged value")
    tag, value = tagged
    if tag == "t" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if tag == "d" and isinstance(value, str):
        return date.fromisoformat(value)
    if tag == "v" and (isinstance(value, bool | int | str) or value is None):
        return value
    raise ValueError("not a tagged value")


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def encode(self, key: Key, scope: str) -> str:
        payload = json.dumps(
            {"k": [_encode_value(v) for v in key], "s": _digest(scope)}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(self._sign(payload) + payload).decode().rstrip("=")

    def decode(self, token: str, scope: str) -> Key:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            signature, payload = raw[:16], raw[16:]
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise ValueError("bad signature")
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise ValueError("not a page token")
        except ValueError as error:  # binascii.Error and JSONDecodeError are ValueErrors
            raise InvalidArgument.one("page_token", "not a page token from this service") from error
        if data.get("s") != _digest(scope):
            raise InvalidArgument.one("page_token", "was issued for a request with other filters")
        try:
            keys = data["k"]
            if not isinstance(keys, list):
                raise ValueError("no key")
            return tuple(_decode_value(v) for v in keys)
        except (KeyError, ValueError) as error:
            raise InvalidArgument.one("page_token", "does not continue this list") from error

    def request(
        self,
        page_size: int,
        page_token: str,
        scope: str,
        *,
        default_size: int = DEFAULT_PAGE_SIZE,
        max_size: int = MAX_PAGE_SIZE,
    ) -> PageRequest:
        """The PageRequest for a List call; scope names the request and its filters. A page
        size of 0 is default_size; one above max_size is max_size."""
        if page_size < 0:
            raise InvalidArgument.one("page_size", "must not be negative")
        size = min(page_size or default_size, max_size)
        after = self.decode(page_token, scope) if page_token else None
        return PageRequest(size=size, after=after)

    def next_token(self, next_key: Key | None, scope: str) -> str:
        return "" if next_key is None else self.encode(next_key, scope)


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def scope_of(request: Message) -> str:
    """What a page token is bound to: the request's type and every field but the paging ones."""
    filters = type(request)()
    filters.CopyFrom(request)
    filters.ClearField("page_size")
    filters.ClearField("page_token")
    return request.DESCRIPTOR.full_name + ":" + filters.SerializeToString(deterministic=True).hex()


class ListPages:
    """The one way a List call pages: reads page_size and page_token, fetches the page on the
    database threads, and makes the next token."""

    def __init__(self, tokens: PageTokens, run: BlockingRunner) -> None:
        self.tokens = tokens
        self.run = run

    async def __call__(
        self,
        request: Any,
        fetch: Callable[[PageRequest], Page[T]],
        *,
        default_size: int = DEFAULT_PAGE_SIZE,
        max_size: int = MAX_PAGE_SIZE,
    ) -> tuple[list[T], str]:
        """The page's items and the next_page_token ("" at the end); page sizes as
        PageTokens.request takes them (the contract says each list's)."""
        scope = scope_of(request)
        page = self.tokens.request(
            request.page_size,
            request.page_token,
            scope,
            default_size=default_size,
            max_size=max_size,
        )
        result = await self.run(fetch, page)
        return result.items, self.tokens.next_token(result.next_key, scope)
