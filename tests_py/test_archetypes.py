"""The starter library on shops of every shape (issue: "Any shop, out of the box").

Each shop shape of the generator (segmart/shop_shapes.csv: a cafe, a subscription
box, a furniture shop, the fashion demo, a B2B wholesaler and a sparse record store
with eight years of history) is generated small and built once. Each must show:

- a green build;
- every starter segment inside its own expected_share (the shares are counted
  here from segment_membership and customer_profile, not read from the library);
- no primary segment, the fallback included, holding more than 60% of customers;
- audience rows for every activated segment that has contactable treatment
  members on one of its channels (contactability and holdout worked out here).

The starter specs before the shop-relative facts failed this matrix: 11 of 78
segment x shop shares fell outside their expected_share (DECISIONLOG, "Starter
specs in the shop's own terms").
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from segmart.contract import PROJECT_DIR
from segmart.dbt import run_dbt
from segmart.generate import shapes
from tests_py.conftest import Build

CUSTOMERS = 1500
MAX_PRIMARY_SHARE = 0.6
STARTER_SPECS = sorted(p.stem for p in (PROJECT_DIR / "segments").glob("*.sql"))
SHAPES = sorted(shapes())


def holdout_group(customer_key: str, segment: str, experiment: str) -> str:
    """The holdout rule, recomputed independently of the SQL macro."""
    digest = hashlib.md5(f"{customer_key}|{segment}|{experiment}".encode()).hexdigest()
    return "control" if int(digest[:8], 16) / 2**32 < 0.1 else "treatment"


@pytest.fixture(scope="module")
def shop_builds(tmp_path_factory) -> dict[str, Build]:
    from segmart.generate import generate

    root = tmp_path_factory.mktemp("archetypes")
    builds = {}
    for shape in SHAPES:
        raw = root / f"{shape}_raw"
        generate(out_dir=raw, customers=CUSTOMERS, seed=5, shape=shape, progress=False)
        db_path = root / f"{shape}.duckdb"
        # unit tests check logic, not data: the other builds of the suite run them
        result = run_dbt(
            ["build", "--exclude-resource-type", "unit_test"],
            db_path=db_path,
            raw_dir=raw,
            target_path=root / f"target_{shape}",
        )
        builds[shape] = Build(db_path, result, raw)
    return builds


def test_every_shape_is_in_the_matrix():
    assert {"cafe", "subscription", "durables", "fashion", "b2b_wholesale"} <= set(
        SHAPES
    )


def test_builds_after_the_first_reuse_its_parse(shop_builds):
    """conftest's dbt_home (segmart.dbt's SEGMART_DBT_HOME): each shop has its
    own database and raw folder, yet only the first of these builds may parse
    the whole project; without it dbt says "Unable to do partial parsing" in
    every build (a new target folder, another database path)."""
    reparsed = [
        shape
        for shape in SHAPES[1:]
        if "Unable to do partial parsing" in shop_builds[shape].result.output
    ]
    assert reparsed == []


@pytest.mark.parametrize("shape", SHAPES)
def test_build_is_green(shop_builds, shape):
    result = shop_builds[shape].result
    assert result.success, result.output[-3000:]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_starter_segment_inside_its_expected_share(shop_builds, shape):
    build = shop_builds[shape]
    total = build.scalar("select count(*) from main.customer_profile")
    assert total >= 1000
    members = dict(
        build.query(
            "select segment_name, count(*) from main.segment_membership group by 1"
        )
    )
    specs = build.query(
        "select segment_name, expected_share_min, expected_share_max "
        "from main.segment_library"
    )
    assert sorted(name for name, *_ in specs) == STARTER_SPECS
    outside = {}
    for name, low, high in specs:
        assert high - low <= 0.5, f"{name}: expected_share wider than 0.5"
        share = members.get(name, 0) / total
        if not low <= share <= high:
            outside[name] = (round(share, 3), low, high)
    assert outside == {}, f"{shape}: shares outside expected_share: {outside}"


@pytest.mark.parametrize("shape", SHAPES)
def test_no_primary_segment_holds_most_customers(shop_builds, shape):
    rows = shop_builds[shape].query(
        "select primary_segment, count(*) * 1.0 / sum(count(*)) over () "
        "from main.customer_segment group by 1"
    )
    biggest = max(rows, key=lambda r: r[1])
    assert biggest[1] <= MAX_PRIMARY_SHARE, f"{shape}: {biggest}"


@pytest.mark.parametrize("shape", SHAPES)
def test_activated_segments_with_contactable_members_have_audiences(shop_builds, shape):
    build = shop_builds[shape]
    assert build.scalar("select bool_and(is_activated) from main.segment_library")
    channels = dict(
        build.query("select segment_name, channels from main.segment_library")
    )
    reachable: set[str] = set()
    for key, segment, email_ok, email_sup, sms_ok, sms_sup, phone in build.query(
        """
        select customer_segment.customer_key, customer_segment.primary_segment,
            profile.has_email_consent, profile.is_email_suppressed,
            profile.has_sms_consent, profile.is_sms_suppressed,
            identities.phone is not null
        from main.customer_segment
        inner join main.customer_profile as profile using (customer_key)
        inner join intermediate.int_customers_identified as identities
            using (customer_key)
        """
    ):
        spec_channels = (channels.get(segment) or "").split(",")
        if holdout_group(key, segment, "always_on") != "treatment":
            continue
        if "email" in spec_channels and email_ok and not email_sup:
            reachable.add(segment)
        if "sms" in spec_channels and sms_ok and not sms_sup and phone:
            reachable.add(segment)
    with_audience = {
        r[0]
        for r in build.query(
            "select distinct segment_name from activation.audience_members"
        )
    }
    assert reachable, f"{shape}: nobody is contactable at all"
    assert reachable <= with_audience, f"{shape}: {reachable - with_audience}"


def test_recency_is_counted_in_each_shops_own_cycle(shop_builds):
    """The shop's purchase cycle is recomputed here from the raw orders (median,
    over customers with 2+ order days, of each one's median gap between order
    days) and must equal the profile's: a cafe's cycle is days, a furniture
    shop's a year or more."""
    import duckdb

    cycles = {}
    for shape, build in shop_builds.items():
        orders = Path(build.raw_dir) / "orders.csv"
        con = duckdb.connect()
        expected = con.execute(
            f"""
            with days as (
                select distinct lower(trim(email)) as person,
                    cast(cast(ordered_at as timestamptz) at time zone 'UTC' as date)
                        as day
                from read_csv('{orders}', all_varchar = true)
                where email like '%@%' and status not ilike 'cancel%'
                    and order_id not in ('', 'null')
            ),
            gaps as (
                select person, day - lag(day) over (partition by person order by day)
                    as gap
                from days
            ),
            per_person as (
                select person, median(gap) as median_gap
                from gaps where gap is not null group by person
            )
            select median(median_gap) from per_person
            """
        ).fetchone()[0]
        actual = build.scalar(
            "select any_value(shop_purchase_cycle_days) from main.customer_profile"
        )
        cycles[shape] = actual
        assert actual == pytest.approx(expected, rel=0.1), shape
    assert cycles["cafe"] < 10 < cycles["fashion"] < 100 < cycles["durables"]
