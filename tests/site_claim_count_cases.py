"""The `sites` claim cases of InventoryCountService's RPCs, for tests/test_site_claims.py (the
shape of a case is in its docstring). A placeholder: Part B of issue 18 (counts by place)
writes these; until then test_site_claims fails for each of its RPCs."""

from __future__ import annotations

from tests.site_claim_support import Case

CASES: dict[str, Case] = {}
