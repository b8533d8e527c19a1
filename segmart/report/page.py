"""The report's HTML page: the segment library table, one section per chart, the
styles; and ``build_report``, which reads the database and writes the file."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from segmart.backtest import default_output
from segmart.report.charts import CHARTS, Chart, chart_backtest
from segmart.report.read import _open, _Reader


@dataclass
class Report:
    """What was written: the file, the build it shows, and its charts."""

    path: Path
    as_of_date: str | None
    customers: int
    segments: int
    charts: list[Chart] = field(default_factory=list)


_CSS = """
body { margin: 0; background: #f6f7f9; color: #1d2329;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
header { background: #1f2d3d; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0 0 6px; opacity: .85; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 40px; }
section { background: #fff; border-radius: 8px; margin: 16px 0; padding: 16px 20px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { margin: 0 0 4px; font-size: 18px; }
p.caption { margin: 0 0 8px; color: #4a5560; }
p.note { margin: 8px 0; padding: 12px; background: #fff8e1; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #e5e8eb; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
nav a { color: #cfe3f7; margin-right: 12px; font-size: 13px; }
td.blocked { color: #b3261e; font-weight: 600; }
footer { color: #6b7680; font-size: 12px; text-align: center; padding: 8px; }
"""


def _library_table(reader: _Reader) -> str:
    rows = reader.rows(
        "select segment_name, owner, priority, customers_count, share_of_customers, "
        "customers_count_change, is_share_within_expected, is_activated, "
        "activation_blocked_reason "
        "from main.segment_library order by priority"
    )
    if not rows:
        return ""
    cells = []
    for r in rows:
        change = r["customers_count_change"]
        share = r["share_of_customers"]
        cells.append(
            "<tr>"
            f"<td>{html.escape(r['segment_name'])}</td>"
            f"<td>{html.escape(r['owner'] or '')}</td>"
            f"<td>{r['priority']}</td>"
            f"<td>{r['customers_count']:,}</td>"
            f"<td>{'n/a' if share is None else f'{share:.1%}'}</td>"
            f"<td>{'first build' if change is None else f'{change:+,}'}</td>"
            f"<td>{'yes' if r['is_share_within_expected'] else 'no'}</td>"
            + (
                "<td>yes</td>"
                if r["is_activated"]
                else '<td class="blocked">no: '
                f"{html.escape(r['activation_blocked_reason'] or '')}</td>"
            )
            + "</tr>"
        )
    head = (
        "<tr><th>segment</th><th>owner</th><th>priority</th><th>customers</th>"
        "<th>share</th><th>change</th><th>share as expected</th>"
        "<th>activated</th></tr>"
    )
    return (
        '<section id="library"><h2>The segment library</h2>'
        '<p class="caption">Every segment in priority order, with its owner, size '
        "now, change since the previous build, whether its share is within the "
        "range its spec expects, and whether it is activated: a segment that failed "
        "QA gets no audience and no change-feed entry, and says why."
        f"</p><table>{head}{''.join(cells)}</table></section>"
    )


def _proposed_table(proposed_dir: Path | None) -> str:
    """The proposals of the last `segmart discover`, when there are any."""
    from segmart.discover.specs import read_index

    index = read_index(proposed_dir) if proposed_dir is not None else None
    if not index or not index["proposals"]:
        return ""
    cells = []
    for p in index["proposals"]:
        note = f"restates {p['restates']}" if p["restates"] else ""
        margin = p["average_margin"]
        cells.append(
            f"<tr><td>{html.escape(p['name'])}</td><td>{p['matched']:,}</td>"
            f"<td>{p['share']:.1%}</td><td>{p['precision']:.2f}</td>"
            f"<td>{p['recall']:.2f}</td>"
            f"<td>{'n/a' if margin is None else f'{margin:,.2f}'}</td>"
            f"<td>{html.escape(note)}</td></tr>"
        )
    head = (
        "<tr><th>proposal</th><th>customers</th><th>share</th><th>precision</th>"
        "<th>recall</th><th>average margin</th><th>overlap</th></tr>"
    )
    context = index["context"]
    return (
        '<section id="proposed"><h2>Proposed segments</h2>'
        '<p class="caption">What <code>segmart discover</code> proposed on '
        f"{html.escape(context['today'])} ({html.escape(context['method'])}): one "
        "spec file per cluster in segments/proposed/, inactive until an analyst "
        "moves it into segments/. Precision and recall compare the rule with its "
        "cluster; a proposal that restates an existing segment says so."
        f"</p><table>{head}{''.join(cells)}</table></section>"
    )


def _section(chart: Chart) -> str:
    body = (
        chart.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{chart.key}",
            config={"displayModeBar": False, "responsive": True},
        )
        if chart.rendered
        else f'<p class="note">{html.escape(chart.note or "No data.")}</p>'
    )
    return (
        f'<section id="{chart.key}" class="chart" data-rendered='
        f'"{str(chart.rendered).lower()}"><h2>{html.escape(chart.title)}</h2>'
        f'<p class="caption">{html.escape(chart.caption)}</p>{body}</section>'
    )


def render_html(report: Report, library_table: str) -> str:
    """The whole page: plotly's JavaScript inlined once, then every section."""
    from plotly.offline import get_plotlyjs

    as_of = report.as_of_date or "n/a"
    nav = "".join(
        f'<a href="#{c.key}">{html.escape(c.title)}</a>' for c in report.charts
    )
    sections = "".join(_section(chart) for chart in report.charts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>segmart segment report, as of {html.escape(as_of)}</title>"
        f"<style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<header><h1>Segment report</h1><p>As of {html.escape(as_of)} · "
        f"{report.customers:,} customers · {report.segments} segments</p>"
        f"<nav>{nav}</nav></header><main>{library_table}{sections}</main>"
        "<footer>Built by <code>segmart report</code> from the marts of the segment "
        "library. Aggregates only: no personal data.</footer></body></html>\n"
    )


def build_report(
    db_path: Path | str,
    out_path: Path | str,
    progress: Callable[[str], None] | None = None,
    proposed_dir: Path | None = Path("segments/proposed"),
) -> Report:
    """Read the marts of `db_path` and write the report to `out_path`.

    `progress`, when given, is called with each chart's key as it is built;
    `proposed_dir` holds the proposals of `segmart discover`, if any.
    """
    db_path, out_path = Path(db_path), Path(out_path)
    with _open(db_path) as reader:
        head = reader.rows(
            "select cast(max(as_of_date) as varchar) as as_of_date, count(*) as "
            "segments, max(customers_total) as customers from main.segment_library"
        )[0]
        if reader.has("profile"):
            head["customers"] = reader.rows(
                "select count(*) as n from main.customer_profile"
            )[0]["n"]
        report = Report(
            out_path,
            head["as_of_date"],
            int(head["customers"] or 0),
            int(head["segments"]),
        )
        for make in CHARTS:
            report.charts.append(make(reader))
            if progress is not None:
                progress(report.charts[-1].key)
        # `segmart backtest` writes its table beside the database: then a chart
        backtest = chart_backtest(default_output(db_path))
        if backtest is not None:
            report.charts.append(backtest)
        library_table = _library_table(reader) + _proposed_table(proposed_dir)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(render_html(report, library_table), encoding="utf-8")
    tmp.replace(out_path)
    return report
