"""customer_profile on the hand fixture: every expected value computed by hand.

Hand fixture (tests_py/fixtures/raw/hand), as_of = newest order date = 2024-06-30:
  ann: A1 100-10, A2 50, A3 30 (A4 cancelled; the email in A2 differs in case only)
  bob: B1 in two versions; the later one (discount 20) wins -> 200-20
  cat: C1 40
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def profile(hand) -> dict[str, tuple]:
    rows = hand.query(
        """
        select customer_key, orders_count, net_revenue
        from main.customer_profile
        """
    )
    return {r[0]: r[1:] for r in rows}


def key(email: str) -> str:
    import hashlib

    return hashlib.md5(email.encode()).hexdigest()


def test_one_row_per_email_identity(profile):
    assert set(profile) == {
        key(e) for e in ("ann@example.com", "bob@example.com", "cat@example.com")
    }


def test_orders_count_excludes_cancelled_and_joins_case_variants(profile):
    assert profile[key("ann@example.com")][0] == 3
    assert profile[key("bob@example.com")][0] == 1


def test_net_revenue_uses_latest_order_version(profile):
    assert float(profile[key("ann@example.com")][1]) == pytest.approx(90 + 50 + 30)
    assert float(profile[key("bob@example.com")][1]) == pytest.approx(180)
    assert float(profile[key("cat@example.com")][1]) == pytest.approx(40)
