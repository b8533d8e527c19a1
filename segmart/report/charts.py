"""The report's charts: one function per chart, each a plotly figure with a caption,
or a note when its mart is empty or missing (``CHARTS``, in report order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmart.report.read import _missing, _num, _Reader

#: The performance chart shows this many campaigns, the most recent ones.
RECENT_CAMPAIGNS = 15

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass
class Chart:
    """One section of the report: a figure, or a note saying why there is none."""

    key: str
    title: str
    caption: str
    figure: Any = None  # a plotly Figure
    note: str | None = None

    @property
    def rendered(self) -> bool:
        return self.figure is not None


def _colours(names: list[str]) -> dict[str, str]:
    """One colour per segment (grey for `(none)`), stable for a given order."""
    from plotly.colors import qualitative

    palette = qualitative.D3 + qualitative.Pastel
    colours = {name: palette[i % len(palette)] for i, name in enumerate(names)}
    colours["(none)"] = "#9aa3ab"
    return colours


def _fade(colour: str, alpha: float = 0.35) -> str:
    """A hex or rgb() colour as rgba() with `alpha`."""
    from plotly.colors import hex_to_rgb, unlabel_rgb

    rgb = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
    return f"rgba({rgb[0]:.0f}, {rgb[1]:.0f}, {rgb[2]:.0f}, {alpha})"


def _layout(fig: Any, height: int, **kwargs: Any) -> Any:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": FONT, "size": 12},
        template="plotly_white",
        **kwargs,
    )
    return fig


def chart_sizes(reader: _Reader) -> Chart:
    """Members per segment now, beside the previous build."""
    import plotly.graph_objects as go

    chart = Chart(
        "sizes",
        "Segment sizes",
        "How many customers each segment holds now (dark) and at the previous "
        "build (light), in priority order.",
    )
    rows = reader.rows(
        "select segment_name, priority, customers_count, share_of_customers, "
        "previous_customers_count, customers_count_change, previous_as_of_date, "
        "as_of_date from main.segment_library order by priority desc"
    )
    if not rows:
        chart.note = "The segment library is empty: add a spec in segments/."
        return chart
    names = [r["segment_name"] for r in rows]
    fig = go.Figure()
    if any(r["previous_customers_count"] is not None for r in rows):
        previous = next(r["previous_as_of_date"] for r in rows)
        fig.add_bar(
            y=names,
            x=[r["previous_customers_count"] for r in rows],
            orientation="h",
            name=f"previous build ({previous})",
            marker_color="#a6c8e8",
        )
    fig.add_bar(
        y=names,
        x=[r["customers_count"] for r in rows],
        orientation="h",
        name=f"now ({rows[0]['as_of_date']})",
        marker_color="#1f5f99",
        customdata=[
            [
                100 * (r["share_of_customers"] or 0),
                "n/a"
                if r["customers_count_change"] is None
                else f"{r['customers_count_change']:+,}",
            ]
            for r in rows
        ],
        hovertemplate="%{y}: %{x:,} customers (%{customdata[0]:.1f}%), "
        "change %{customdata[1]}<extra></extra>",
    )
    _layout(
        fig,
        90 + 28 * len(rows),
        barmode="group",
        xaxis_title="customers",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    chart.figure = fig
    return chart


def chart_trend(reader: _Reader) -> Chart:
    """Members per segment on every as_of date of the history."""
    import plotly.graph_objects as go

    chart = Chart(
        "trend",
        "Segment sizes over builds",
        "Members of each segment at every build date in the history: rising "
        "lines are growing segments.",
    )
    if not reader.has("history"):
        chart.note = _missing("history")
        return chart
    rows = reader.rows(
        "select cast(as_of_date as varchar) as as_of_date, segment_name, "
        "customers_count from main.segment_history order by segment_name, as_of_date"
    )
    if not rows:
        chart.note = "No build is in the history yet."
        return chart
    fig = go.Figure()
    by_segment: dict[str, list[dict]] = {}
    for row in rows:
        by_segment.setdefault(row["segment_name"], []).append(row)
    for name, points in by_segment.items():
        fig.add_scatter(
            x=[p["as_of_date"] for p in points],
            y=[p["customers_count"] for p in points],
            mode="lines+markers",
            name=name,
        )
    dates = sorted({r["as_of_date"] for r in rows})
    if len(dates) == 1:
        chart.caption += f" Only one build ({dates[0]}) so far: backfill for a trend."
    _layout(fig, 420, xaxis_title="as_of date", yaxis_title="customers")
    fig.update_xaxes(type="category")
    chart.figure = fig
    return chart


def chart_rfm(reader: _Reader) -> Chart:
    """Recency x frequency grid, coloured by average contribution margin."""
    import plotly.graph_objects as go

    chart = Chart(
        "rfm",
        "RFM grid",
        "Customers by recency score (rows, 5 = bought most recently) and frequency "
        "score (columns, 5 = buys most often); colour is their average contribution "
        "margin, the number is how many customers.",
    )
    if not reader.has("profile"):
        chart.note = _missing("profile")
        return chart
    rows = reader.rows(
        """
        select
            recency_score,
            frequency_score,
            count(*) as customers,
            avg(contribution_margin) as average_margin
        from main.customer_profile
        where recency_score is not null and frequency_score is not null
        group by recency_score, frequency_score
        """
    )
    if not rows:
        chart.note = "No customer has an RFM score yet (no orders)."
        return chart
    cells = {(r["recency_score"], r["frequency_score"]): r for r in rows}
    scores = [1, 2, 3, 4, 5]
    z, text = [], []
    for recency in scores:
        z.append(
            [_num(cells.get((recency, f), {}).get("average_margin")) for f in scores]
        )
        text.append(
            [
                f"{cells[(recency, f)]['customers']:,}" if (recency, f) in cells else ""
                for f in scores
            ]
        )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"F{f}" for f in scores],
            y=[f"R{r}" for r in scores],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            colorbar={"title": {"text": "avg margin"}},
            hovertemplate="%{y} %{x}: %{text} customers, average margin "
            "%{z:,.2f}<extra></extra>",
        )
    )
    _layout(fig, 420, xaxis_title="frequency score", yaxis_title="recency score")
    chart.figure = fig
    return chart


def chart_transitions(reader: _Reader) -> Chart:
    """Primary segment before -> after between the latest pair of builds."""
    import plotly.graph_objects as go

    chart = Chart(
        "transitions",
        "Where customers moved",
        "Customers' primary segment at the previous build (left) and at the latest "
        "(right); each band is the customers who moved that way, or stayed.",
    )
    if not reader.has("transitions"):
        chart.note = _missing("transitions")
        return chart
    rows = reader.rows(
        """
        select
            cast(from_as_of_date as varchar) as from_date,
            cast(to_as_of_date as varchar) as to_date,
            from_segment,
            to_segment,
            customers_count
        from main.segment_transitions
        where to_as_of_date = (select max(to_as_of_date) from main.segment_transitions)
        order by from_segment, to_segment
        """
    )
    if not rows:
        chart.note = (
            "Only one build is in the history: build an earlier as_of date "
            "(`segmart backfill`) to see movement."
        )
        return chart
    from_date, to_date = rows[0]["from_date"], rows[0]["to_date"]
    chart.caption = (
        f"Customers' primary segment on {from_date} (left) and on {to_date} "
        "(right); each band is the customers who moved that way, or stayed."
    )
    priority = {
        r["segment_name"]: r["priority"]
        for r in reader.rows("select segment_name, priority from main.segment_library")
    }

    def order(name: str) -> tuple:
        return (name not in priority, priority.get(name, 0), name)

    left = sorted({r["from_segment"] for r in rows}, key=order)
    right = sorted({r["to_segment"] for r in rows}, key=order)
    colours = _colours(sorted(set(left) | set(right), key=order))
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": left + right,
                "color": [colours[name] for name in left + right],
                "pad": 10,
                "thickness": 14,
                "hovertemplate": "%{label}: %{value:,} customers<extra></extra>",
            },
            link={
                "source": [left.index(r["from_segment"]) for r in rows],
                "target": [len(left) + right.index(r["to_segment"]) for r in rows],
                "value": [r["customers_count"] for r in rows],
                "color": [_fade(colours[r["from_segment"]]) for r in rows],
                "hovertemplate": "%{source.label} -> %{target.label}: "
                "%{value:,} customers<extra></extra>",
            },
        )
    )
    _layout(fig, 560)
    chart.figure = fig
    return chart


def chart_overlap(reader: _Reader) -> Chart:
    """Share of each segment's members who are also in each other segment."""
    import plotly.graph_objects as go

    chart = Chart(
        "overlap",
        "Segment overlap",
        "Each cell is the share of the row segment's members who are also in the "
        "column segment (the number is how many customers they share).",
    )
    if not reader.has("overlap"):
        chart.note = _missing("overlap")
        return chart
    rows = reader.rows(
        """
        select
            overlap.segment_a,
            overlap.segment_b,
            overlap.shared_customers,
            overlap.share_of_a
        from main.segment_overlap as overlap
        """
    )
    order = [
        r["segment_name"]
        for r in reader.rows(
            "select segment_name from main.segment_library order by priority"
        )
    ]
    if not rows or not order:
        chart.note = "Fewer than two segments: nothing can overlap."
        return chart
    cells = {(r["segment_a"], r["segment_b"]): r for r in rows}
    z, text = [], []
    for a in order:
        z.append([_num(cells.get((a, b), {}).get("share_of_a")) for b in order])
        text.append(
            [
                f"{cells[(a, b)]['shared_customers']:,}" if (a, b) in cells else ""
                for b in order
            ]
        )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=order,
            y=order,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": "share of row"}, "tickformat": ".0%"},
            hovertemplate="%{z:.1%} of %{y} is also in %{x} "
            "(%{text} customers)<extra></extra>",
        )
    )
    _layout(fig, 180 + 34 * len(order))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-40)
    chart.figure = fig
    return chart


def chart_margin(reader: _Reader) -> Chart:
    """Average contribution margin and share with negative margin per segment."""
    from plotly.subplots import make_subplots

    chart = Chart(
        "margin",
        "Margin profile per segment",
        "Average contribution margin of each segment's members (left) and the share "
        "of them who cost the shop money (negative margin, right).",
    )
    rows = reader.rows(
        "select segment_name, average_contribution_margin, negative_margin_share "
        "from main.segment_library order by priority desc"
    )
    rows = [r for r in rows if r["average_contribution_margin"] is not None]
    if not rows:
        chart.note = "No segment has members with a known margin."
        return chart
    names = [r["segment_name"] for r in rows]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("average contribution margin", "share with negative margin"),
    )
    margins = [_num(r["average_contribution_margin"]) for r in rows]
    fig.add_bar(
        y=names,
        x=margins,
        orientation="h",
        marker_color=["#2a7f3f" if m >= 0 else "#b8322a" for m in margins],
        hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_bar(
        y=names,
        x=[r["negative_margin_share"] or 0 for r in rows],
        orientation="h",
        marker_color="#b8322a",
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        row=1,
        col=2,
    )
    fig.update_xaxes(tickformat=".0%", row=1, col=2)
    _layout(fig, 90 + 28 * len(rows), showlegend=False)
    chart.figure = fig
    return chart


def chart_quality(reader: _Reader) -> Chart:
    """Quarantined raw rows by reason and export."""
    import plotly.graph_objects as go

    chart = Chart(
        "quality",
        "Data quality: quarantine by reason",
        "Raw rows kept out of the build because a value could not be read or broke "
        "a rule, by reason and export file.",
    )
    if not reader.has("quality"):
        chart.note = _missing("quality")
        return chart
    rows = reader.rows(
        """
        select source_table, reason, rows_count
        from quality.dq_shop__data_quality
        where kind = 'quarantined'
        order by reason, source_table
        """
    )
    counted = reader.rows(
        "select coalesce(sum(rows_count), 0) as n "
        "from quality.dq_shop__data_quality where kind = 'counted'"
    )[0]["n"]
    more = (
        f" {counted:,} more rows were staged with a warning (counted, not shown)."
        if counted
        else ""
    )
    if not rows:
        chart.note = "No raw row was quarantined: every row could be read." + more
        return chart
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["reason"]] = totals.get(row["reason"], 0) + row["rows_count"]
    reasons = sorted(totals, key=lambda reason: (totals[reason], reason))
    fig = go.Figure()
    for source in sorted({r["source_table"] for r in rows}):
        counts = {
            r["reason"]: r["rows_count"] for r in rows if r["source_table"] == source
        }
        fig.add_bar(
            y=reasons,
            x=[counts.get(reason, 0) for reason in reasons],
            orientation="h",
            name=source,
            hovertemplate=f"{source}, %{{y}}: %{{x:,}} rows<extra></extra>",
        )
    chart.caption += f" {sum(totals.values()):,} rows in all.{more}"
    _layout(
        fig,
        120 + 24 * len(reasons),
        barmode="stack",
        xaxis_title="rows",
        legend={"title": {"text": "export"}},
    )
    chart.figure = fig
    return chart


def chart_performance(reader: _Reader) -> Chart:
    """Conversion and margin lift over the holdout, with 95% intervals."""
    from plotly.subplots import make_subplots

    chart = Chart(
        "performance",
        "Segment performance over the holdout",
        "What the most recent campaigns earned over their control group: conversion "
        "lift (percentage points, left) and margin lift per recipient (right); bars "
        "are 95% intervals, and an interval crossing zero is no proven effect.",
    )
    if not reader.has("performance"):
        chart.note = _missing("performance")
        return chart
    rows = reader.rows(
        f"""
        select
            segment_name,
            campaign_id,
            cast(sent_date as varchar) as sent_date,
            recipients,
            conversion_lift,
            conversion_lift_ci_low,
            conversion_lift_ci_high,
            margin_lift,
            margin_lift_ci_low,
            margin_lift_ci_high
        from main.segment_performance
        where
            is_window_complete
            and (conversion_lift is not null or margin_lift is not null)
        order by sent_date desc, segment_name desc, campaign_id desc
        limit {RECENT_CAMPAIGNS}
        """
    )
    if not rows:
        chart.note = (
            "No campaign with a control group and a closed attribution window was "
            "sent to a segment yet."
        )
        return chart
    rows.reverse()  # plotly draws the first category at the bottom: newest on top
    chart.caption = (
        f"What the {len(rows)} most recent campaigns (sent {rows[0]['sent_date']} "
        f"to {rows[-1]['sent_date']}) earned over their control group: conversion "
        "lift (percentage points, left) and margin lift per recipient (right); "
        "bars are 95% intervals, and an interval crossing zero is no proven effect."
    )
    labels = [f"{r['segment_name']} · {r['campaign_id']}" for r in rows]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("conversion lift (pp)", "margin lift per recipient"),
    )
    for col, prefix, scale, colour in (
        (1, "conversion_lift", 100.0, "#1f5f99"),
        (2, "margin_lift", 1.0, "#2a7f3f"),
    ):
        points = [_num(r[prefix]) for r in rows]
        values = [None if p is None else p * scale for p in points]
        high = [_num(r[f"{prefix}_ci_high"]) for r in rows]
        low = [_num(r[f"{prefix}_ci_low"]) for r in rows]
        plus = [
            None if h is None or p is None else (h - p) * scale
            for h, p in zip(high, points, strict=True)
        ]
        minus = [
            None if lo is None or p is None else (p - lo) * scale
            for lo, p in zip(low, points, strict=True)
        ]
        fig.add_scatter(
            x=values,
            y=labels,
            mode="markers",
            marker={"color": colour, "size": 8},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": plus,
                "arrayminus": minus,
                "thickness": 1.5,
            },
            customdata=[r["recipients"] for r in rows],
            hovertemplate="%{y}: %{x:,.2f} (%{customdata:,} recipients)<extra></extra>",
            row=1,
            col=col,
        )
        fig.add_vline(x=0, line_dash="dot", line_color="#777", row=1, col=col)
    _layout(fig, 110 + 26 * len(rows), showlegend=False)
    chart.figure = fig
    return chart


def chart_backtest(path: Path) -> Chart | None:
    """Mean actual vs predicted holdout purchases by calibration repeat purchases,
    from the file `segmart backtest` writes beside the database (None: no file)."""
    if not path.exists():
        return None
    import plotly.graph_objects as go
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    groups = [r for r in rows if r["section"] == "by_calibration_repeats"]
    total = next(
        (
            r
            for r in rows
            if r["section"] == "total" and r["label"] == "repeat_purchases"
        ),
        None,
    )
    if not groups or total is None:
        return None
    chosen = groups[0]["chosen_model"]
    chart = Chart(
        "backtest",
        "Backtest: predicted vs actual purchases",
        f"Fitted up to {groups[0]['calibration_end']}, compared with the next "
        f"{groups[0]['horizon_days']} days: mean purchases per customer by purchases "
        f"before; actual {total['actual']:,.0f} in all, {chosen} (the model used) "
        f"predicted {total[chosen]:,.0f}." + _backtest_spend(rows, chosen),
    )
    labels = [r["label"] for r in groups]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=[r["actual"] for r in groups], name="actual", marker_color="#9aa3ab"
    )
    for model, colour in (("bg_nbd", "#1f77b4"), ("pareto_nbd", "#ff7f0e")):
        fig.add_scatter(
            x=labels,
            y=[r[model] for r in groups],
            name=model,
            mode="lines+markers",
            line_color=colour,
        )
    fig.update_xaxes(title_text="repeat purchases in the calibration period")
    fig.update_yaxes(title_text="mean holdout purchases")
    _layout(fig, 360)
    chart.figure = fig
    return chart


def _backtest_spend(rows: list[dict], chosen: str) -> str:
    """The spend side of the backtest, for the chart's caption."""
    parts = []
    for label, name in (("margin", "Margin"), ("net_revenue", "Net revenue")):
        total = next(
            (r for r in rows if r["section"] == "total" and r["label"] == label), None
        )
        if total is None or total["actual"] is None or total[chosen] is None:
            continue
        parts.append(
            f" {name} in those days: actual {total['actual']:,.0f},"
            f" predicted {total[chosen]:,.0f}."
        )
    return "".join(parts)


CHARTS: tuple[Callable[[_Reader], Chart], ...] = (
    chart_sizes,
    chart_trend,
    chart_rfm,
    chart_transitions,
    chart_overlap,
    chart_margin,
    chart_quality,
    chart_performance,
)
