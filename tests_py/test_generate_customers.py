"""Tests of the demo-data generator (segmart.generate): customer records,
engagement, campaigns, suppressions, erasure requests, tickets and reviews.

Every expectation is computed from the written files and the brief (see
test_generate.py, whose constants, helpers and data sets these tests use).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from tests_py import test_generate
from tests_py.test_generate import PEOPLE, _one

# test_generate's data set, generated once for this module too (module scope)
clean, con = test_generate.clean, test_generate.con


# --------------------------------------------------------------------------------------
# Customers, engagement, campaigns, suppressions, erasure
# --------------------------------------------------------------------------------------


def test_customer_records_are_varied(con: duckdb.DuckDBPyConnection):
    names = {
        r[0]
        for r in con.execute(
            "select first_name || ' ' || last_name from customers"
        ).fetchall()
    }
    assert any(re.search(r"[^\x00-\x7f]", n) for n in names)  # é, ø, Ł ...
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names)  # 陈, 王 ...
    b2b = _one(
        con,
        "select count(*) from customers where company_name is not null "
        "and company_size is not null and industry is not null",
    )
    assert b2b > 0
    assert _one(con, "select count(distinct country) from customers") >= 5
    assert _one(con, "select count(distinct language) from customers") >= 4
    phones = [
        r[0]
        for r in con.execute(
            "select phone from customers where phone is not null"
        ).fetchall()
    ]
    shapes = {re.sub(r"\d", "9", p) for p in phones}
    assert len(shapes) >= 5
    assert (
        _one(
            con,
            "select count(*) from customers "
            "where email_consent not in ('true', 'false')"
            " or sms_consent not in ('true', 'false')"
            " or cast(consent_updated_at as timestamp) < cast(created_at as timestamp)",
        )
        == 0
    )
    assert _one(con, "select count(*) from customers where tags like '%,%'") > 0
    # postal codes stay text (leading zeros, letters)
    assert _one(con, "select count(*) from customers where postal_code like '0%'") > 0


def test_engagement_events(con: duckdb.DuckDBPyConnection):
    types = {
        r[0]
        for r in con.execute(
            "select distinct event_type from engagement_events"
        ).fetchall()
    }
    assert types == {
        "sent",
        "delivered",
        "opened",
        "clicked",
        "bounced",
        "unsubscribed",
        "spam_complaint",
    }
    channels = {
        r[0]
        for r in con.execute(
            "select distinct channel from engagement_events"
        ).fetchall()
    }
    assert channels == {"email", "sms"}
    assert (
        _one(
            con,
            "select count(*) from engagement_events "
            "where campaign_id not in (select campaign_id from campaigns)",
        )
        == 0
    )
    # engaged and dormant subscribers: per-person open rates differ widely
    engaged, dormant = con.execute(
        """
        with p as (
            select email,
                   count(*) filter (where event_type = 'opened') /
                   count(*) filter (where event_type = 'delivered') rate
            from engagement_events where channel = 'email' group by 1
            having count(*) filter (where event_type = 'delivered') >= 10
        )
        select count(*) filter (where rate >= 0.3), count(*) filter (where rate < 0.05)
        from p
        """
    ).fetchall()[0]
    assert engaged >= 20 and dormant >= 20
    # opens decay once a customer lapses
    recent, lapsed = con.execute(
        """
        with o as (select distinct lower(email) who, cast(ordered_at as timestamp) t
                   from orders),
        s as (
            select e.email, cast(e.occurred_at as timestamp) t,
                   (select max(o.t) from o where o.who = e.email
                    and o.t < cast(e.occurred_at as timestamp)) last_order,
                   exists (select 1 from engagement_events x
                           where x.email = e.email and x.campaign_id = e.campaign_id
                           and x.event_type = 'opened') opened
            from engagement_events e
            where e.event_type = 'delivered' and e.channel = 'email'
        )
        select avg(opened::int) filter (where t - last_order < interval 60 day),
               avg(opened::int) filter (where t - last_order > interval 365 day)
        from s where last_order is not null
        """
    ).fetchall()[0]
    assert recent > 1.3 * lapsed


def test_campaigns_plan(con: duckdb.DuckDBPyConnection):
    segments = {
        r[0] for r in con.execute("select distinct segment from campaigns").fetchall()
    }
    assert {
        "champions",
        "win_back",
        "new_second_purchase",
        "at_risk",
        "lost",
        "unengaged_subscribers",
    } <= segments
    assert (
        _one(con, "select count(*) from campaigns where experiment like 'holdout_%'")
        > 0
    )
    offers = {
        r[0] for r in con.execute("select distinct offer from campaigns").fetchall()
    }
    assert None in offers and "free_shipping" in offers and "10_percent" in offers
    assert (
        _one(con, "select count(*) - count(distinct campaign_id) from campaigns") == 0
    )
    assert {
        r[0] for r in con.execute("select distinct channel from campaigns").fetchall()
    } == {
        "email",
        "sms",
    }


def test_campaigns_lift_orders_in_the_next_seven_days(con: duckdb.DuckDBPyConnection):
    sends, post, pre = con.execute(
        """
        with o as (select distinct order_id, lower(email) who,
                          cast(ordered_at as timestamp) t from orders),
        f as (select who, min(t) first_t from o group by 1),
        s as (
            select e.email who, cast(e.occurred_at as timestamp) t
            from engagement_events e join campaigns c using (campaign_id)
            join f on f.who = e.email
            where e.event_type = 'sent' and c.segment in
                  ('all_subscribers', 'engaged_subscribers')
              and f.first_t < cast(e.occurred_at as timestamp) - interval 30 day
        )
        select count(*),
          (select count(*) from s join o on s.who = o.who
           and o.t > s.t and o.t <= s.t + interval 7 day),
          (select count(*) from s join o on s.who = o.who
           and o.t <= s.t and o.t > s.t - interval 7 day)
        from s
        """
    ).fetchall()[0]
    assert sends > 1000
    assert post > 1.04 * pre  # a real lift ...
    assert post < 1.6 * pre  # ... but a modest one


def test_suppressions_follow_engagement(con: duckdb.DuckDBPyConnection):
    reasons = {
        r[0] for r in con.execute("select distinct reason from suppressions").fetchall()
    }
    assert {"bounced", "unsubscribed"} <= reasons
    assert reasons <= {"bounced", "spam_complaint", "unsubscribed", "manual"}
    unmatched = _one(
        con,
        """
        select count(*) from suppressions s where reason <> 'manual' and not exists (
            select 1 from engagement_events e
            where e.email = s.email and e.channel = s.channel
              and e.event_type = s.reason and e.occurred_at = s.suppressed_at)
        """,
    )
    assert unmatched == 0
    later_sends = _one(
        con,
        """
        select count(*) from suppressions s join engagement_events e
          on e.email = s.email and e.channel = s.channel and e.event_type = 'sent'
         and cast(e.occurred_at as timestamp) > cast(s.suppressed_at as timestamp)
        """,
    )
    assert later_sends == 0
    still_consenting = _one(
        con,
        """
        select count(*) from suppressions s join customers c
          on lower(c.email) = s.email
        where s.reason in ('unsubscribed', 'spam_complaint') and s.channel = 'email'
          and c.email_consent = 'true'
        """,
    )
    assert still_consenting == 0


def test_erasure_requests_name_existing_customers(con: duckdb.DuckDBPyConnection):
    n, known = con.execute(
        "select count(*), count(*) filter (where lower(email) in "
        "(select lower(email) from customers)) from erasure_requests"
    ).fetchall()[0]
    assert 1 <= n <= 20
    assert known == n


# --------------------------------------------------------------------------------------
# Service: tickets and reviews
# --------------------------------------------------------------------------------------


def test_ticket_texts_are_varied_and_round_trip(
    clean: tuple[Path, dict[str, int]], con: duckdb.DuckDBPyConnection
):
    with (clean[0] / "tickets.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    db = {
        r[0]: r[1:]
        for r in con.execute("select ticket_id, subject, body from tickets").fetchall()
    }
    assert len(rows) == len(db)
    for r in rows:
        assert db[r["ticket_id"]] == (r["subject"], r["body"])
    bodies = [r["body"] for r in rows]
    assert sum("\n" in b for b in bodies) > 10
    assert sum('"' in b for b in bodies) > 3
    assert sum("," in b for b in bodies) > 10
    text = [(r["subject"] + " " + r["body"]).lower() for r in rows]
    kinds = {
        "refund": r"refund|return",
        "shipping": r"where is my order|still not here|tracking|delivery delay",
        "urgent": r"urgent|asap",
        "quote": r"quote for \d+ units|wholesale",
        "praise": r"thank you|love it|best i've had",
        "question": r"question|compatible|grind size|back in stock",
        "complaint": r"disappointed|broken|terrible",
    }
    for kind, pattern in kinds.items():
        assert sum(bool(re.search(pattern, t)) for t in text) >= 2, kind
    foreign = r"pedido|commande|bestellung|gracias|merci|danke|¿"
    assert sum(bool(re.search(foreign, t)) for t in text) >= 2
    assert sum(bool(re.search(r"#\d{6,}", t)) for t in text) > 10  # order numbers
    statuses = {r["status"] for r in rows}
    assert statuses == {"open", "pending", "solved", "closed"}
    assert {r["satisfaction"] for r in rows} == {"", "good", "bad"}
    assert all(r["updated_at"] >= r["created_at"] for r in rows)
    per_person = len(rows) / PEOPLE
    assert 0.05 < per_person < 0.6


def test_review_bodies_match_ratings(con: duckdb.DuckDBPyConnection):
    ratings = {
        r[0] for r in con.execute("select distinct rating from reviews").fetchall()
    }
    assert ratings == {"1", "2", "3", "4", "5"}
    positive, negative = con.execute(
        r"""
        select avg(rating::int) filter (where regexp_matches(lower(body),
                   'love|excellent|perfect|amazing|highly recommend')),
               avg(rating::int) filter (where regexp_matches(lower(body),
                   'terrible|awful|disappointed|worst|waste'))
        from reviews
        """
    ).fetchall()[0]
    assert positive >= 4.5
    assert negative <= 2.0
    assert (
        _one(
            con,
            "select count(*) from reviews where sku not in (select sku from products)",
        )
        == 0
    )
