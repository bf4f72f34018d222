"""The style sheet, script and figure of the tasking report: plain strings, no dependency.

The report must open with no network access, so everything it needs is written into the one
HTML file: this CSS, this script (sorting the table, opening an explanation) and the concentration
curve drawn here as inline SVG. The script reads only the page itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["CSS", "SCRIPT", "lorenz_svg"]

CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #c8c8c8; --band: #f3f4f6; --accent: #1d3f8f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid var(--accent); }
.sub { color: var(--muted); margin: 0 0 12px; }
.caveats { border: 2px solid #b45309; background: #fff7ed; padding: 10px 14px; margin: 12px 0; }
.caveats h2 { border: 0; margin: 0 0 4px; color: #92400e; }
.caveats ul { margin: 4px 0 0 18px; padding: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#ranking thead th { position: sticky; top: 0; background: #e8ebf3; cursor: pointer;
                    user-select: none; white-space: nowrap; }
#ranking thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
#ranking thead th[aria-sort="descending"]::after { content: " \\25BC"; }
#ranking tbody.person:nth-of-type(even) > tr.row { background: var(--band); }
button.explain { font: inherit; border: 1px solid var(--accent); color: var(--accent);
                 background: white; border-radius: 3px; padding: 0 6px; cursor: pointer; }
button.explain[aria-expanded="true"] { background: var(--accent); color: white; }
tr.detail > td { background: #fbfbfd; padding: 8px 16px 16px; }
tr.detail table { font-size: 13px; }
tr.detail tr.event > td:first-child, #ranking tr.row > td:nth-child(5),
#ranking tr.row > td:nth-child(6) { white-space: nowrap; }
tr.detail tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
.kv th { width: 220px; color: var(--muted); font-weight: normal; }
pre { background: var(--band); padding: 8px; overflow-x: auto; font-size: 12px; }
.figure { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.figure table { width: auto; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print { #ranking thead th { position: static; } tr.detail[hidden] { display: none; } }
"""

#: Sorting (click a column header; again to reverse), explanations (click "explain"), and a
#: address ending ``#person-N`` opens the explanation of the person ranked N; and a
#: self-test used by the browser test: with ``#selftest`` in the address, it clicks every
#: header twice and opens the first explanation, and writes what it saw into ``#selftest``.
SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("ranking");
  if (!table) { return; }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function bodies() { return Array.prototype.slice.call(table.tBodies); }
  function value(body, col, type) {
    var cell = body.rows[0].cells[col];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return type === "num" ? parseFloat(raw) : raw;
  }
  function sortBy(col) {
    var th = headers[col];
    var type = th.getAttribute("data-type");
    var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    if (th.getAttribute("aria-sort") === null && type !== "num") { dir = "ascending"; }
    var sign = dir === "ascending" ? 1 : -1;
    var items = bodies().map(function (b) {
      return { body: b, key: value(b, col, type), rank: parseInt(b.getAttribute("data-rank"), 10) };
    });
    items.sort(function (a, b) {
      if (a.key < b.key) { return -sign; }
      if (a.key > b.key) { return sign; }
      return a.rank - b.rank;
    });
    items.forEach(function (item) { table.appendChild(item.body); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
  }
  headers.forEach(function (th, col) {
    if (th.hasAttribute("data-type")) {
      th.addEventListener("click", function () { sortBy(col); });
      th.setAttribute("title", "sort by this column (click again to reverse)");
    }
  });
  function toggle(button) {
    var detail = document.getElementById(button.getAttribute("aria-controls"));
    var open = detail.hidden;
    detail.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  table.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("explain")) { toggle(target); }
  });
  var asked = /^#person-([0-9]+)$/.exec(window.location.hash);
  var opened = asked && table.querySelector('button[aria-controls="explain-' + asked[1] + '"]');
  if (opened) { toggle(opened); }
  if (window.location.hash === "#selftest") {
    var ids = function () {
      return bodies().map(function (b) { return b.getAttribute("data-id"); });
    };
    var result = { initial: ids(), sorted: {} };
    headers.forEach(function (th, col) {
      if (!th.hasAttribute("data-type")) { return; }
      var name = th.getAttribute("data-key");
      th.click();
      var first = { dir: th.getAttribute("aria-sort"), ids: ids() };
      th.click();
      var second = { dir: th.getAttribute("aria-sort"), ids: ids() };
      result.sorted[name] = [first, second];
    });
    var button = table.querySelector("button.explain");
    if (button) {
      button.click();
      var detail = document.getElementById(button.getAttribute("aria-controls"));
      result.first_explanation_id = button.closest("tbody").getAttribute("data-id");
      result.first_explanation_open = !detail.hidden;
      result.first_explanation_rows = detail.querySelectorAll("tr.event").length;
    }
    document.getElementById("selftest").textContent = JSON.stringify(result);
  }
})();
"""

_W, _H, _PAD = 420, 320, 48


def _xy(x: float, y: float) -> str:
    px = _PAD + x * (_W - _PAD - 16)
    py = _H - _PAD - y * (_H - _PAD - 16)
    return f"{px:.1f},{py:.1f}"


def lorenz_svg(
    harm: npt.NDArray[np.float64], *, top_n: int, max_points: int = 400, noun: str = "people"
) -> str:
    """The concentration curve as inline SVG: share of harm held by the top x% of people.

    ``harm`` holds one value per person (any order); ``top_n`` marks the people listed. The
    curve has at most ``max_points`` vertices (exact at its ends and at the top-n cut).
    ``noun`` names what is ranked in the labels ("people", "victim_id values"); it is escaped.
    """
    import html

    noun = html.escape(noun, quote=True)
    values = np.sort(np.asarray(harm, dtype=np.float64))[::-1]
    n = values.size
    total = float(values.sum())
    if n == 0 or total <= 0:
        return '<p class="sub">No harm was counted: there is no concentration to draw.</p>'
    cum = np.concatenate([[0.0], np.cumsum(values) / total])
    picks = np.unique(
        np.concatenate(
            [np.linspace(0, n, min(n, max_points) + 1).round().astype(np.int64), [min(top_n, n)]]
        )
    )
    curve = " ".join(_xy(k / n, float(min(cum[k], 1.0))) for k in picks.tolist())
    cut = min(top_n, n) / n
    ticks = []
    for t in (0, 25, 50, 75, 100):
        ticks.append(
            f'<line x1="{_xy(t / 100, 0).split(",")[0]}" y1="{_H - _PAD}" '
            f'x2="{_xy(t / 100, 0).split(",")[0]}" y2="{_H - _PAD + 4}" stroke="#333"/>'
            f'<text x="{_xy(t / 100, 0).split(",")[0]}" y="{_H - _PAD + 16}" '
            f'text-anchor="middle">{t}%</text>'
            f'<line x1="{_PAD - 4}" y1="{_xy(0, t / 100).split(",")[1]}" x2="{_PAD}" '
            f'y2="{_xy(0, t / 100).split(",")[1]}" stroke="#333"/>'
            f'<text x="{_PAD - 7}" y="{float(_xy(0, t / 100).split(",")[1]) + 4:.1f}" '
            f'text-anchor="end">{t}%</text>'
        )
    cx, _ = _xy(cut, 0).split(",")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" font-size="11" font-family="sans-serif" '
        f'aria-label="Concentration curve: share of harm held by the top share of {noun}">'
        f'<rect x="{_PAD}" y="16" width="{_W - _PAD - 16}" height="{_H - _PAD - 16}" '
        f'fill="white" stroke="#999"/>'
        f'<polyline points="{_xy(0, 0)} {_xy(1, 1)}" fill="none" stroke="#999" '
        f'stroke-dasharray="4 3"/>'
        f'<line x1="{cx}" y1="16" x2="{cx}" y2="{_H - _PAD}" stroke="#b45309" '
        f'stroke-dasharray="2 2"/>'
        f'<polyline points="{curve}" fill="none" stroke="#1d3f8f" stroke-width="2"/>'
        + "".join(ticks)
        + f'<text x="{(_PAD + _W - 16) / 2}" y="{_H - 10}" text-anchor="middle">'
        f"{noun}, ranked by harm (top x%)</text>"
        f'<text transform="translate(12 {(_H - _PAD + 16) / 2}) rotate(-90)" '
        f'text-anchor="middle">share of all harm</text>'
        f'<text x="{float(cx) + 4:.1f}" y="28" fill="#b45309">listed: top {min(top_n, n):,}</text>'
        f'<text x="{_xy(0.55, 0.42).split(",")[0]}" y="{_xy(0.55, 0.42).split(",")[1]}" '
        f'fill="#777">equal harm</text>'
        "</svg>"
    )
