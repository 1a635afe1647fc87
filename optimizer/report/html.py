"""The page: one self-contained HTML file with plotly.js inlined once.

The report must open on a laptop with no network (plant networks often have none), so
plotly.js comes from the installed ``plotly`` package and is written into the page;
the figures follow as JSON. The style sheet has a print section (A4 landscape, no
navigation, sections kept on one page where they fit).
"""

from __future__ import annotations

import base64
import html as _html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from optimizer.report.charts import Figure

__all__ = ["Chart", "Html", "Section", "Table", "render_page", "trusted"]

Html = Markup
"""The one type of trusted HTML: fragments this package builds (input escaped inside).

Anything else that reaches the page (a ``str``) is escaped, so user text cannot become
markup by construction.
"""

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass(frozen=True)
class Table:
    """A table of preformatted text cells.

    ``align`` holds ``"l"`` (text), ``"r"`` (numbers, right-aligned) or ``"d"`` (dates,
    kept on one line) per column; ``row_titles`` is an optional hover text per row.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[str | Html]]
    align: Sequence[str] = ()
    caption: str | None = None
    row_titles: Sequence[str] = ()
    empty: str = "Nothing to show."
    widths: Sequence[str] = ()
    """Optional CSS width per column (e.g. ``"34%"``; empty string: automatic)."""


@dataclass(frozen=True)
class Chart:
    """A plotly figure with an element id."""

    figure: Figure
    id: str


@dataclass(frozen=True)
class Section:
    """A titled part of the report: an explanation, charts, tables, free HTML."""

    id: str
    title: str
    intro: str = ""
    """Plain text (escaped) shown under the title: how to read what follows."""
    charts: Sequence[Chart] = ()
    tables: Sequence[Table] = ()
    notes: Sequence[str] = ()
    html: Html = field(default_factory=Html)
    """Trusted HTML built by this package (a plain ``str`` here would be escaped)."""
    css_class: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d8dee4; --bg:#f6f8fa; --accent:#009e73; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,
  sans-serif; color:var(--ink); background:#fff; font-size:15px; line-height:1.45; }
.page { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
header .sub { color: var(--muted); font-size: 14px; }
nav { margin: 14px 0 8px; font-size: 14px; }
nav a { color: var(--muted); text-decoration: none; margin-right: 16px; white-space: nowrap; }
nav a:hover { color: var(--ink); text-decoration: underline; }
.headline { border-left: 6px solid var(--accent); background: #eefaf5; padding: 16px 20px;
  margin: 18px 0 10px; border-radius: 4px; }
.headline .sentence { font-size: 19px; line-height: 1.45; margin: 0; }
.headline ul { margin: 10px 0 0; padding-left: 20px; color: var(--muted); font-size: 14px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0 4px; }
.kpi { flex: 1 1 200px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 13px; }
.kpi .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi .ci { color: var(--muted); font-size: 12.5px; }
section { margin-top: 34px; }
section h2 { font-size: 20px; margin: 0 0 6px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); font-weight: 620; }
section .intro { color: var(--muted); margin: 4px 0 10px; max-width: 900px; }
.chart { width: 100%; margin: 6px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0 4px;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0 6px; color: var(--ink); }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); text-align: left; font-weight: 600; }
td.r, th.r { text-align: right; }
td.d { white-space: nowrap; }
td.r .note { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.wrap { min-width: 160px; }
.table-wrap { overflow-x: auto; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px;
  font-weight: 600; }
.badge.real { background: #d7f2e6; color: #0b6b4c; }
.badge.noise { background: #eceff2; color: #59636e; }
.badge.worse { background: #fbe1dd; color: #9a2b1b; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 6px; vertical-align: -1px; }
.note { color: var(--muted); font-size: 13.5px; }
.empty { color: var(--muted); font-style: italic; }
.warn { background:#fff4e5; border-left: 5px solid #e69f00; padding: 8px 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
a.download { font-size: 14px; }
#js-errors { display:none; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 12px; }
  .page { max-width: none; padding: 0; }
  nav, .modebar, .rangeselector, a.download { display: none !important; }
  section { break-inside: avoid-page; page-break-inside: avoid; }
  section.long { break-inside: auto; page-break-inside: auto; }
  .headline { break-inside: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{ generator }}">
<title>{{ title }}</title>
<style>{{ css | safe }}</style>
<script>
window.__reportErrors = [];
window.addEventListener('error', function (e) {
  window.__reportErrors.push(String(e.message));
  var box = document.getElementById('js-errors');
  if (box) { box.style.display = 'block'; box.textContent =
    'Some charts could not be drawn: ' + window.__reportErrors.join('; '); }
});
</script>
<script>{{ plotly_js | safe }}</script>
</head>
<body>
<div class="page">
<header>
  <h1>{{ title }}</h1>
  <div class="sub">{{ subtitle }}</div>
</header>
<div id="js-errors" class="warn"></div>
{% if sections|length > 2 %}
<nav>{% for s in sections %}<a href="#{{ s.id }}">{{ s.title }}</a> {% endfor %}</nav>
{% endif %}
{{ lead }}
{% for s in sections %}
<section id="{{ s.id }}"{% if s.css_class %} class="{{ s.css_class }}"{% endif %}>
  <h2>{{ s.title }}</h2>
  {% if s.intro %}<p class="intro">{{ s.intro }}</p>{% endif %}
  {{ s.html }}
  {% for c in s.charts %}<div class="chart">{{ chart_html(c) }}</div>{% endfor %}
  {% for t in s.tables %}{{ table_html(t) }}{% endfor %}
  {% for n in s.notes %}<p class="note">{{ n }}</p>{% endfor %}
</section>
{% endfor %}
<footer>{{ footer }}</footer>
</div>
<script>
(function () {
  function resizeAll() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (el) {
      try { Plotly.Plots.resize(el); } catch (e) { /* a chart that failed to draw */ }
    });
  }
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  document.body.setAttribute('data-charts',
    String(document.querySelectorAll('.js-plotly-plot .main-svg').length > 0 ?
           document.querySelectorAll('.js-plotly-plot').length : 0));
})();
</script>
</body>
</html>
"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The minified plotly.js bundled with the installed plotly package.

    Raises
    ------
    RuntimeError
        If the bundle contains a ``</script`` sequence, which would end the inline
        script early (it never has; checked because the page would break silently).
    """
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    js = str(get_plotlyjs())
    if "</script" in js.lower():  # pragma: no cover - defensive
        raise RuntimeError("plotly.js bundle contains '</script'; cannot inline it")
    return js


def chart_html(chart: Chart) -> Html:
    """The ``<div>`` and ``<script>`` that draw one figure (plotly.js not included)."""
    return Html(
        chart.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=chart.id,
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{int(chart.figure.layout.height or 450)}px",
        )
    )


def table_html(table: Table) -> Html:
    """An escaped HTML table; ``align`` ``"r"`` columns are right-aligned numbers.

    Cells are text (escaped), except :data:`Html` fragments built by this package
    (badges, swatches; see :func:`trusted`).
    """
    align = list(table.align) or ["l"] * len(table.columns)
    if len(align) != len(table.columns):
        raise ValueError(f"table.align: {len(align)} entries for {len(table.columns)} columns")
    out = ['<div class="table-wrap"><table>']
    if table.caption:
        out.append(f"<caption>{_html.escape(table.caption)}</caption>")
    widths = list(table.widths) or [""] * len(table.columns)
    head = "".join(
        f'<th class="{a}"' + (f' style="width:{w}"' if w else "") + f">{_html.escape(c)}</th>"
        for c, a, w in zip(table.columns, align, widths, strict=True)
    )
    out.append(f"<thead><tr>{head}</tr></thead><tbody>")
    if not table.rows:
        out.append(
            f'<tr><td class="empty" colspan="{len(table.columns)}">'
            f"{_html.escape(table.empty)}</td></tr>"
        )
    titles = list(table.row_titles)
    for k, row in enumerate(table.rows):
        if len(row) != len(table.columns):
            raise ValueError(f"table row {k}: {len(row)} cells for {len(table.columns)} columns")
        cells = []
        for cell, a in zip(row, align, strict=True):
            text = escape(cell)  # a str is escaped, an Html fragment kept
            cls = a if len(text) < 40 else f"{a} wrap"
            cells.append(f'<td class="{cls}">{text}</td>')
        title = f' title="{_html.escape(titles[k])}"' if k < len(titles) and titles[k] else ""
        out.append(f"<tr{title}>{''.join(cells)}</tr>")
    out.append("</tbody></table></div>")
    return Html("".join(out))


def trusted(html_fragment: str) -> Html:
    """Mark a fragment built by this package (its input already escaped) as trusted HTML."""
    return Html(html_fragment)


def csv_download_link(csv_text: str, filename: str, label: str) -> Html:
    """An ``<a download>`` carrying the CSV inside the page (works offline)."""
    data = base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
    return Html(
        f'<a class="download" download="{_html.escape(filename)}" '
        f'href="data:text/csv;charset=utf-8;base64,{data}">{_html.escape(label)}</a>'
    )


def render_page(
    *,
    title: str,
    subtitle: str,
    lead: Html,
    sections: Sequence[Section],
    footer: str,
    generator: str,
) -> str:
    """Render the report.

    Parameters
    ----------
    title, subtitle : str
        Page heading (plain text).
    lead : Html
        Trusted HTML under the heading (the headline box); a plain ``str`` is escaped.
    sections : sequence of Section
        The report's parts in order.
    footer : str
        Plain text at the bottom.
    generator : str
        Software and version, for the ``<meta name="generator">`` tag.

    Returns
    -------
    str
        The complete HTML document.
    """
    ids = [c.id for s in sections for c in s.charts]
    if len(set(ids)) != len(ids):
        raise ValueError(f"sections: chart ids must be unique, got {ids}")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.from_string(_TEMPLATE)
    return tpl.render(
        title=title,
        subtitle=subtitle,
        lead=lead,
        sections=sections,
        footer=footer,
        generator=generator,
        css=_CSS,
        plotly_js=plotly_js(),
        chart_html=chart_html,
        table_html=table_html,
    )
