"""Tests of crimeharm.research.plots: figure contents (labels, points, lines), no image diff."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.errors import ParameterError
from crimeharm.research.sensitivity import sweep

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.figure import Figure  # noqa: E402

from crimeharm import plots  # noqa: E402

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping(
    {"A": 1.0, "B": 2.0, "C": 5.0, "D": 30.0, "E": 365.0}, name="toy", unit="days"
)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def make_events(seed: int = 0, n: int = 400, offenders: int = 50) -> ch.Events:
    rng = np.random.default_rng(seed)
    return ch.Events(
        offender_id=rng.integers(0, offenders, n),
        offence_code=rng.choice(np.array(list("ABCDE")), n, p=[0.4, 0.3, 0.2, 0.08, 0.02]),
        date=np.datetime64(AS_OF) - rng.integers(-20, 2000, n).astype("timedelta64[D]"),
    )


def test_import_crimeharm_does_not_import_matplotlib() -> None:
    code = (
        "import sys, crimeharm, crimeharm.research.plots, crimeharm.research.sensitivity, "
        "crimeharm.research.rfg; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lorenz_curve_points_and_markers() -> None:
    harm = np.array([10.0, 0.0, 5.0, 5.0, 80.0])
    fig = plots.lorenz(harm, top=(0.2, 0.4))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    curve, diagonal = ax.lines
    # descending: from (0, 0) through the top 1, 2, ... offenders: 80, 10, 5, 5, 0 of 100
    np.testing.assert_allclose(curve.get_xdata(), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(curve.get_ydata(), [0, 0.8, 0.9, 0.95, 1.0, 1.0])
    np.testing.assert_allclose(diagonal.get_xdata(), [0, 1])
    (markers,) = ax.collections
    np.testing.assert_allclose(markers.get_offsets(), [[0.2, 0.8], [0.4, 0.9]])
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["top 20%: 80% of harm", "top 40%: 90% of harm"]
    assert ax.get_xlabel() == "share of offenders (highest harm first)"
    assert ax.get_ylabel() == "share of total harm held"
    assert "5 offenders" in ax.get_title()


def test_lorenz_classic_orientation_and_thinning() -> None:
    scores = ch.score(make_events(n=3000, offenders=2500), SCHEME, as_of=AS_OF)
    fig = plots.lorenz(scores, top=(0.1,), descending=False)
    ax = fig.axes[0]
    curve = ax.lines[0]
    assert len(curve.get_xdata()) <= plots.MAX_CURVE_POINTS
    y = np.asarray(curve.get_ydata())
    assert y[0] == 0.0
    assert y[-1] == pytest.approx(1.0)
    assert np.all(np.diff(y) >= -1e-12)
    assert np.all(y <= np.asarray(curve.get_xdata()) + 1e-12)  # classic curve under the diagonal
    x_mark, y_mark = ax.collections[0].get_offsets()[0]
    assert x_mark == pytest.approx(0.9)
    # the marker sits at 1 - (share of harm held by the top 10%, interpolated between offenders)
    desc = np.sort(scores.harm)[::-1]
    k = 0.1 * desc.size
    whole = int(k)
    top10 = (desc[:whole].sum() + (k - whole) * desc[whole]) / desc.sum()
    assert y_mark == pytest.approx(1 - top10)
    assert ax.get_xlabel() == "share of offenders (lowest harm first)"
    with pytest.raises(ParameterError, match="top shares"):
        plots.lorenz(scores, top=(0.0,))


def test_lorenz_draws_on_a_given_axes() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    out = plots.lorenz([1.0, 2.0, 3.0], ax=right)
    assert out is fig
    assert len(right.lines) == 2
    assert len(left.lines) == 0


def test_rank_scatter_points_are_shared_offenders() -> None:
    events = make_events(1)
    a = ch.score(events, SCHEME, as_of=AS_OF)
    b = ch.score(events, SCHEME, as_of=AS_OF, window_days=365)
    fig = plots.rank_scatter(a, b, labels=("all years", "last year"))
    ax = fig.axes[0]
    shared = np.intersect1d(a.offender_id, b.offender_id)
    (points,) = ax.collections
    offsets = np.asarray(points.get_offsets())
    assert offsets.shape == (shared.size, 2)
    np.testing.assert_array_equal(np.sort(offsets[:, 0]), np.sort(a.rank_of(shared)))
    np.testing.assert_array_equal(np.sort(offsets[:, 1]), np.sort(b.rank_of(shared)))
    assert ax.get_xlabel() == "rank under all years"
    assert ax.get_ylabel() == "rank under last year"
    assert ax.get_xscale() == "log"
    assert "Spearman" in ax.get_title()


def test_rank_scatter_top_n_and_default_labels() -> None:
    events = make_events(2)
    a = ch.score(events, SCHEME, as_of=AS_OF)
    b = ch.score(events, SCHEME, as_of=AS_OF, decay=ch.get_decay("exponential", half_life_days=90))
    fig = plots.rank_scatter(a, b, n=5)
    ax = fig.axes[0]
    offsets = np.asarray(ax.collections[0].get_offsets())
    assert np.all((offsets[:, 0] <= 5) | (offsets[:, 1] <= 5))
    assert 5 <= offsets.shape[0] <= 10
    assert ax.get_ylabel() == "rank under toy, no window, exponential(90)"
    with pytest.raises(ParameterError):
        plots.rank_scatter(a, b.top(5))  # type: ignore[arg-type]


def test_timeline_points_per_event() -> None:
    events = ch.Events(
        offender_id=[7, 7, 7, 7, 8],
        offence_code=["A", "E", "C", "B", "E"],
        date=["2023-07-01", "2022-01-01", "2019-01-01", "2023-08-01", "2023-01-01"],
    )
    decay = ch.get_decay("exponential", half_life_days=365)
    fig = plots.timeline(events, SCHEME, 7, as_of=AS_OF, window_days=1096, decay=decay)
    ax = fig.axes[0]
    counted, skipped = ax.collections
    assert len(counted.get_offsets()) == 2  # 2023-07-01 and 2022-01-01
    assert len(skipped.get_offsets()) == 2  # outside the window, and after as_of
    sizes = counted.get_sizes()
    assert sizes[1] > sizes[0]  # the 365-day offence contributes far more than the 1-day one
    np.testing.assert_allclose(np.asarray(counted.get_offsets())[:, 1], [1.0, 365.0])
    assert len(ax.lines) == 2  # as_of and window start
    assert ax.get_ylabel() == "offence weight (days, log scale)"
    assert "from 2 of 4 events" in ax.get_title()
    with pytest.raises(ParameterError, match="no event"):
        plots.timeline(events, SCHEME, 99, as_of=AS_OF)


def test_sweep_figures() -> None:
    result = sweep(make_events(3), SCHEME, as_of=AS_OF, n=5, half_lives=[90, 365, 730])
    k = len(result.settings)
    fig = plots.sweep_stability(result)
    ax = fig.axes[0]
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), result.jaccard)
    assert [t.get_text() for t in ax.get_yticklabels()] == result.labels
    assert len(ax.texts) == k * k
    assert "Top-5 stability" in ax.get_title()
    fig = plots.sweep_frequency(result)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == k
    assert sum(heights) == result.offender_id.size
    assert heights[-1] == result.always.size
    assert ax.get_ylabel() == "offenders"


def test_figures_save_as_png(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "lorenz.png"
    plots.lorenz([1.0, 2.0, 5.0]).savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rank_scatter_title_is_whole_and_legend_explains_lines() -> None:
    events = make_events(4)
    a = ch.score(events, SCHEME, as_of=AS_OF)
    b = ch.score(events, SCHEME, as_of=AS_OF, window_days=365)
    fig = plots.rank_scatter(a, b, n=5)
    ax = fig.axes[0]
    title = ax.get_title()
    assert title.splitlines()[1].startswith("Spearman ")
    float(title.splitlines()[1].removeprefix("Spearman "))  # the value is printed in full
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["one offender", "same rank under both", "top-5 cut"]
    diagonal, cut_x, cut_y = ax.lines
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    assert list(cut_x.get_xdata()) == [5, 5]
    assert list(cut_y.get_ydata()) == [5, 5]
    # the whole title fits inside the figure once drawn
    fig.canvas.draw()
    box = ax.title.get_window_extent()
    width = fig.get_window_extent()
    assert box.x0 >= width.x0
    assert box.x1 <= width.x1


def test_scheme_shares_adds_up_per_scheme_and_matches_contributions() -> None:
    grouped = ch.WeightScheme.from_offences(
        [
            ch.OffenceType(code="A", weight=1.0, title="a", group="THEFT"),
            ch.OffenceType(code="B", weight=2.0, title="b", group="THEFT"),
            ch.OffenceType(code="C", weight=5.0, title="c", group="DAMAGE"),
            ch.OffenceType(code="D", weight=30.0, title="d", group="VIOLENCE"),
            ch.OffenceType(code="E", weight=365.0, title="e", group="SEXUAL"),
        ],
        name="grouped",
    )
    flat = ch.WeightScheme.from_mapping(dict.fromkeys("ABCDE", 1.0), name="flat")
    events = make_events(5)
    fig = plots.scheme_shares(
        events, {"grouped": grouped, "flat": flat}, as_of=AS_OF, window_days=1096, max_groups=3
    )
    ax = fig.axes[0]
    bars = [p.get_width() for p in ax.patches]
    assert len(bars) == 6  # 2 groups + "other groups", for each of 2 schemes
    assert sum(bars[:3]) == pytest.approx(1.0)
    assert sum(bars[3:]) == pytest.approx(1.0)
    # the flat scheme's shares are counts of counted events by group
    counted = ch.score(events, flat, as_of=AS_OF, window_days=1096).report.counted
    codes = events.code_strings()
    age = (np.datetime64(AS_OF) - events.date).astype(int)
    inside = (age >= 0) & (age < 1096)
    assert int(inside.sum()) == counted
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "other groups"
    group = {"A": "Theft", "B": "Theft", "C": "Damage", "D": "Violence", "E": "Sexual"}
    for label, width in zip(labels[:-1], bars[3:5], strict=True):
        mine = inside & np.isin(codes, [c for c, g in group.items() if g == label])
        assert width == pytest.approx(mine.sum() / counted)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["grouped", "flat"]
    with pytest.raises(ParameterError, match="offence groups"):
        plots.scheme_shares(events, {"flat": flat}, as_of=AS_OF)


def test_fingerprint_follows_data_not_pixels() -> None:
    harm = np.array([10.0, 0.0, 5.0, 5.0, 80.0])
    same = plots.fingerprint(plots.lorenz(harm)), plots.fingerprint(plots.lorenz(harm.copy()))
    assert same[0] == same[1]
    fig = plots.lorenz(harm)
    fig.set_dpi(37)  # how it is rendered does not matter
    assert plots.fingerprint(fig) == same[0]
    assert plots.fingerprint(plots.lorenz(harm * [1, 1, 1, 1, 1.01])) != same[0]
    assert plots.fingerprint(plots.lorenz(harm, label="other")) != same[0]
