"""The segment report (segmart.report): one offline HTML file from the marts.

The figures are checked against the marts with independent computations (Python
over raw rows, or another mart); the browser test proves that they render.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from segmart.report import CHARTS, SOURCES, ReportError, build_report

CHART_KEYS = [
    "sizes",
    "trend",
    "rfm",
    "transitions",
    "overlap",
    "margin",
    "quality",
    "performance",
]


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def built(history, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    seen: list[str] = []
    report = build_report(history.db_path, out, progress=seen.append)
    return report, out.read_text(encoding="utf-8"), seen, history.db_path


def chart(report, key: str):
    return next(c for c in report.charts if c.key == key)


def test_every_chart_is_drawn_on_the_generated_history(built):
    report, _, seen, _ = built
    assert [c.key for c in report.charts] == CHART_KEYS == seen
    for item in report.charts:
        assert item.rendered, f"{item.key}: {item.note}"


def test_every_section_has_a_one_line_caption(built):
    _, page, _, _ = built
    sections = re.findall(
        r'<section id="([a-z]+)" class="chart".*?<p class="caption">([^<]*)</p>', page
    )
    assert [key for key, _ in sections] == CHART_KEYS
    for key, caption in sections:
        assert 40 < len(caption) < 400 and "\n" not in caption, key
        assert caption.endswith("."), key


def test_the_page_is_self_contained(built):
    _, page, _, _ = built
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", page), "no external script"
    assert not re.search(r"<link[^>]+href=", page), "no external stylesheet"
    assert page.count("<script") == 1 + len(CHART_KEYS)  # plotly.js + one per chart
    import plotly.offline

    assert plotly.offline.get_plotlyjs()[:2000] in page  # the library, inlined


def test_the_page_carries_no_personal_data(built):
    import plotly.offline

    _, page, _, db = built
    ours = page.replace(plotly.offline.get_plotlyjs(), "")  # the report's own part
    assert len(ours) < len(page) / 10
    identities = query(
        db,
        "select email, customer_key, phone from intermediate.int_customers_identified",
    )
    assert identities
    lowered = ours.lower()
    for email, key, phone in identities:
        assert email not in lowered
        assert key not in ours
        if phone:
            assert phone not in ours


def test_size_bars_are_the_library_counts(built):
    report, _, _, db = built
    now = chart(report, "sizes").figure.data[-1]
    expected = dict(
        query(db, "select segment_name, customers_count from main.segment_library")
    )
    assert dict(zip(now.y, now.x, strict=True)) == expected
    previous = chart(report, "sizes").figure.data[0]
    assert previous.name.startswith("previous build (2026-03-31)")


def test_trend_has_one_line_per_segment_over_both_builds(built):
    report, _, _, db = built
    figure = chart(report, "trend").figure
    counts = defaultdict(dict)
    rows = query(
        db,
        "select segment_name, cast(as_of_date as varchar), count(*) "
        "from main.segment_membership_history group by all",
    )
    for name, as_of, n in rows:
        counts[name][as_of] = n
    # a segment empty on every build (worth_protecting on this small shop) has no
    # membership rows but is in the library: its line is 0 on every build
    library = query(db, "select distinct segment_name from main.segment_history")
    dates = {as_of for by_date in counts.values() for as_of in by_date}
    for (name,) in library:
        for as_of in dates:
            counts[name].setdefault(as_of, 0)
    assert {trace.name for trace in figure.data} == set(counts)
    for trace in figure.data:
        assert dict(zip(trace.x, trace.y, strict=True)) == counts[trace.name]


def test_rfm_grid_is_the_average_margin_of_each_cell(built):
    report, _, _, db = built
    heat = chart(report, "rfm").figure.data[0]
    cells = defaultdict(list)
    for recency, frequency, margin in query(
        db,
        "select recency_score, frequency_score, contribution_margin "
        "from main.customer_profile where recency_score is not null",
    ):
        cells[(recency, frequency)].append(float(margin))
    assert list(heat.y) == ["R1", "R2", "R3", "R4", "R5"]
    assert list(heat.x) == ["F1", "F2", "F3", "F4", "F5"]
    for r in range(1, 6):
        for f in range(1, 6):
            values = cells.get((r, f))
            z, text = heat.z[r - 1][f - 1], heat.text[r - 1][f - 1]
            if values is None:
                assert z is None and text == ""
            else:
                assert z == pytest.approx(sum(values) / len(values))
                assert text == f"{len(values):,}"


def test_transitions_flow_counts_every_customer_of_the_pair(built):
    report, _, _, db = built
    sankey = chart(report, "transitions").figure.data[0]
    # independent: primary segments from the membership history of both dates
    rows = query(
        db,
        "select as_of_date, customer_key, segment_name "
        "from main.segment_membership_history where is_primary",
    )
    dates = sorted({r[0] for r in rows})
    before = {key: seg for d, key, seg in rows if d == dates[0]}
    after = {key: seg for d, key, seg in rows if d == dates[1]}
    flows = defaultdict(int)
    for key in before.keys() | after.keys():
        flows[(before.get(key, "(none)"), after.get(key, "(none)"))] += 1
    labels = sankey.node.label
    drawn = {
        (labels[s], labels[t]): v
        for s, t, v in zip(
            sankey.link.source, sankey.link.target, sankey.link.value, strict=True
        )
    }
    assert drawn == dict(flows)
    assert (
        f"on {dates[0]} (left) and on {dates[1]}"
        in chart(report, "transitions").caption
    )


def test_overlap_cells_are_shares_of_the_row_segment(built):
    report, _, _, db = built
    heat = chart(report, "overlap").figure.data[0]
    members = defaultdict(set)
    for key, name in query(
        db, "select customer_key, segment_name from main.segment_membership"
    ):
        members[name].add(key)
    for i, a in enumerate(heat.y):
        for j, b in enumerate(heat.x):
            if a == b:
                assert heat.z[i][j] is None
                continue
            shared = len(members[a] & members[b])
            assert heat.text[i][j] == f"{shared:,}"
            if members[a]:
                assert heat.z[i][j] == pytest.approx(shared / len(members[a]))


def test_margin_profile_matches_the_members(built):
    report, _, _, db = built
    average, negative = chart(report, "margin").figure.data
    margins = defaultdict(list)
    for name, margin in query(
        db,
        "select membership.segment_name, profile.contribution_margin "
        "from main.segment_membership as membership "
        "inner join main.customer_profile as profile using (customer_key)",
    ):
        if margin is not None:
            margins[name].append(float(margin))
    for name, avg, share in zip(average.y, average.x, negative.x, strict=True):
        values = margins[name]
        assert avg == pytest.approx(sum(values) / len(values), abs=0.0051)  # 2 dp
        assert share == pytest.approx(sum(v < 0 for v in values) / len(values))


def test_quality_bars_add_up_to_the_quarantine(built):
    report, _, _, db = built
    figure = chart(report, "quality").figure
    drawn = defaultdict(int)
    for trace in figure.data:
        for reason, n in zip(trace.y, trace.x, strict=True):
            drawn[(trace.name, reason)] += n
    quarantine = query(
        db,
        "select source_table, reason, count(*) from quality.dq_shop__quarantine "
        "group by all",
    )
    assert quarantine, "the messy fixture quarantines rows"
    expected = {(s, r): n for s, r, n in quarantine}
    assert {k: v for k, v in drawn.items() if v} == expected


def test_performance_points_and_error_bars_are_lifts_and_intervals(built):
    report, _, _, db = built
    conversion, margin = chart(report, "performance").figure.data
    rows = {
        f"{segment} · {campaign}": (lift, low, high, m, m_low, m_high)
        for segment, campaign, lift, low, high, m, m_low, m_high in query(
            db,
            "select segment_name, campaign_id, conversion_lift, "
            "conversion_lift_ci_low, conversion_lift_ci_high, margin_lift, "
            "margin_lift_ci_low, margin_lift_ci_high "
            "from main.segment_performance where is_window_complete",
        )
    }
    assert 0 < len(conversion.y) <= 15
    for i, label in enumerate(conversion.y):
        lift, low, high, m, m_low, m_high = rows[label]
        assert conversion.x[i] == pytest.approx(100 * lift)
        assert conversion.error_x.array[i] == pytest.approx(100 * (high - lift))
        assert conversion.error_x.arrayminus[i] == pytest.approx(100 * (lift - low))
        assert margin.x[i] == pytest.approx(m)
        assert margin.error_x.array[i] == pytest.approx(m_high - m)
        assert margin.error_x.arrayminus[i] == pytest.approx(m - m_low)


# ----------------------------------------------------------------- empty and broken


def _copy_schema(source: Path, target: Path, keys: list[str], with_rows: bool) -> None:
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        for key in keys:
            schema, table = SOURCES[key].split(".")
            con.execute(f"create schema if not exists {schema}")
            limit = "" if with_rows else " limit 0"
            con.execute(
                f"create table {schema}.{table} as "
                f"select * from src.{schema}.{table}{limit}"
            )


def test_empty_marts_give_notes_not_charts(history, tmp_path):
    empty = tmp_path / "empty.duckdb"
    _copy_schema(history.db_path, empty, list(SOURCES), with_rows=False)
    out = tmp_path / "empty.html"
    report = build_report(empty, out)
    assert [c.key for c in report.charts] == CHART_KEYS
    assert not any(c.rendered for c in report.charts)
    assert all(c.note for c in report.charts)
    page = out.read_text(encoding="utf-8")
    assert page.count('class="note"') == len(CHART_KEYS)
    assert "plotly-graph-div" not in page


def test_missing_history_and_performance_marts_are_named(history, tmp_path):
    partial = tmp_path / "partial.duckdb"
    keys = ["library", "profile", "overlap", "quality"]
    _copy_schema(history.db_path, partial, keys, with_rows=True)
    report = build_report(partial, tmp_path / "partial.html")
    for key in ("trend", "transitions", "performance"):
        item = chart(report, key)
        assert not item.rendered
        assert "is not in this database" in item.note
    for key in ("sizes", "rfm", "overlap", "margin", "quality"):
        assert chart(report, key).rendered, key


def test_only_the_library_gives_notes_for_every_other_chart(history, tmp_path):
    bare = tmp_path / "library_only.duckdb"
    _copy_schema(history.db_path, bare, ["library"], with_rows=True)
    report = build_report(bare, tmp_path / "library_only.html")
    drawn = {c.key for c in report.charts if c.rendered}
    assert drawn == {"sizes", "margin"}  # the two charts of segment_library
    for item in report.charts:
        if not item.rendered:
            assert item.note.endswith(
                "is not in this database: build it to see this chart."
            ), item.key


def test_a_single_build_says_how_to_get_transitions(history, tmp_path):
    single = tmp_path / "single.duckdb"
    _copy_schema(history.db_path, single, list(SOURCES), with_rows=True)
    with duckdb.connect(str(single)) as con:
        con.execute("delete from main.segment_transitions")
        con.execute(
            "delete from main.segment_history "
            "where as_of_date < (select max(as_of_date) from main.segment_history)"
        )
    report = build_report(single, tmp_path / "single.html")
    assert "segmart backfill" in chart(report, "transitions").note
    assert "Only one build" in chart(report, "trend").caption


def test_no_database_is_an_error(tmp_path):
    with pytest.raises(ReportError, match="no database"):
        build_report(tmp_path / "none.duckdb", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_database_without_the_library_is_an_error(tmp_path):
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    with pytest.raises(ReportError, match="segment_library"):
        build_report(bare, tmp_path / "r.html")


def test_chart_builders_are_the_documented_list():
    assert len(CHARTS) == len(CHART_KEYS)
