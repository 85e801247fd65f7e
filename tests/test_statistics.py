"""The mart's statistics checked against independent references (scipy, statsmodels).

Each test renders the dbt macros the mart uses (``dbt_project/macros/*.sql``, plain Jinja) and
runs the SQL they give through DuckDB: the figures compared are the ones the mart computes, not
a Python copy of the formulas.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import chi2, norm
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import proportion_confint

MACROS = Path(__file__).resolve().parents[1] / "dbt_project" / "macros"
Z = float(norm.ppf(0.975))  # 1.959963…; the mart uses 1.96


@cache
def macros(name: str):
    """The macros of one macro file, as callables returning SQL text."""
    return jinja2.Environment().from_string((MACROS / f"{name}.sql").read_text(encoding="utf-8")).module


def sql_value(expression: str, **columns):
    """Evaluate one SQL expression over a one-row table with ``columns``."""
    con = duckdb.connect()
    names = ", ".join(f"${k} as {k}" for k in columns)
    return con.execute(f"select {expression} from (select {names})", columns).fetchone()[0]


# --------------------------------------------------------------------------- Wilson

WILSON_CASES = [
    (0, 1),
    (1, 1),
    (0, 10),
    (10, 10),
    (1, 10),
    (5, 10),
    (3, 7),
    (1, 2),
    (17, 23),
    (50, 100),
    (999, 1000),
    (0, 5000),
    (5000, 5000),
    (123, 4567),
    (2917.5, 3419),  # a Kolada share (85.3 %) of SCB's population: x need not be whole
]


@pytest.mark.parametrize(("x", "n"), WILSON_CASES)
def test_wilson_bounds_match_statsmodels(x: float, n: int) -> None:
    m = macros("confidence_intervals")
    p = x / n
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="wilson")
    # with statsmodels' z the SQL agrees to rounding error
    low = sql_value(str(m.wilson_low("p", "n", z=repr(Z))), p=p, n=n)
    high = sql_value(str(m.wilson_high("p", "n", z=repr(Z))), p=p, n=n)
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)
    # and with the mart's z = 1.96 within 1e-5 (percentage points: 1e-3)
    low196 = sql_value(str(m.wilson_low("p", "n")), p=p, n=n)
    high196 = sql_value(str(m.wilson_high("p", "n")), p=p, n=n)
    assert low196 == pytest.approx(ref_low, abs=1e-5)
    assert high196 == pytest.approx(ref_high, abs=1e-5)
    assert 0 <= low196 <= p <= high196 <= 1
    if x == 0:
        assert low196 == 0
    if x == n:
        assert high196 == 1


def test_wilson_without_denominator_or_outside_0_100_gives_no_interval() -> None:
    m = macros("confidence_intervals")
    for p, n in [(0.5, 0), (0.5, None), (None, 100), (1.2, 100), (-0.1, 100)]:
        assert sql_value(str(m.wilson_low("p", "n")), p=p, n=n) is None
        assert sql_value(str(m.wilson_high("p", "n")), p=p, n=n) is None


# --------------------------------------------------------------------------- Byar

BYAR_CASES = [0, 1, 2, 3, 5, 9, 10, 20, 37, 50, 100, 389, 1000, 12345]


def exact_poisson(o: int) -> tuple[float, float]:
    """Garwood's exact 95 % interval of a Poisson count from the chi-square distribution."""
    low = 0.0 if o == 0 else chi2.ppf(0.025, 2 * o) / 2
    return low, chi2.ppf(0.975, 2 * (o + 1)) / 2


@pytest.mark.parametrize("o", BYAR_CASES)
def test_byar_bounds_approximate_the_exact_poisson_interval(o: int) -> None:
    """Byar's method approximates the exact interval (Breslow & Day 1987; PHEindicatormethods
    documents it as such): within 0.025 on the count below 10 (the largest gap is the upper
    bound of 0: 3.668 against 3.689), within 0.2 % from 10 on."""
    m = macros("confidence_intervals")
    low = sql_value(str(m.byar_low("o")), o=o)
    high = sql_value(str(m.byar_high("o")), o=o)
    ref_low, ref_high = exact_poisson(o)
    tolerance = {"abs": 0.025} if o < 10 else {"rel": 0.002}
    assert low == pytest.approx(ref_low, **tolerance)
    assert high == pytest.approx(ref_high, **tolerance)
    assert 0 <= low <= o <= high
    if o == 0:
        assert low == 0


def test_byar_matches_its_formula_at_z_1_96() -> None:
    """PHEindicatormethods::byars_lower / byars_upper, written out for O = 30."""
    m = macros("confidence_intervals")
    o = 30
    assert sql_value(str(m.byar_low("o")), o=o) == pytest.approx(
        o * (1 - 1 / (9 * o) - 1.96 / (3 * math.sqrt(o))) ** 3, rel=1e-12
    )
    assert sql_value(str(m.byar_high("o")), o=o) == pytest.approx(
        (o + 1) * (1 - 1 / (9 * (o + 1)) + 1.96 / (3 * math.sqrt(o + 1))) ** 3, rel=1e-12
    )


# --------------------------------------------------------------------------- trend tests


def sql_aggregate(expression: str, rows: list[tuple]) -> float | None:
    con = duckdb.connect()
    con.execute("create table points (t double, r double, n double, y double, w double)")
    con.executemany("insert into points values (?, ?, ?, ?, ?)", rows)
    return con.execute(f"select {expression} from points").fetchone()[0]


TREND_CASES = [
    # (numerators, denominators): five points t = 1 … 5 unless fewer are given
    ([200, 220, 240, 260, 280], [1000] * 5),
    ([100, 101, 99, 102, 100], [500] * 5),
    ([0, 0, 1, 2, 5], [20, 22, 25, 21, 24]),  # 0 % points, small denominators
    ([5, 5, 4, 3, 1], [5, 6, 5, 5, 4]),  # 100 % points
    ([3, 4, 6], [10, 12, 11]),  # three points, the fewest tested
    ([30, 28, 25, 21], [100, 110, 95, 105]),
    ([1, 0, 2, 1, 3], [8, 7, 9, 8, 9]),
    ([2917, 2950, 2890, 3010, 2999], [3419, 3450, 3401, 3470, 3440]),  # a Kolada-sized county
    ([55, 61, 48, 70, 66], [400, 380, 390, 410, 405]),
    ([12, 15, 11, 19, 25], [3000, 3100, 2950, 3050, 3020]),
    ([9, 9, 9, 9, 9], [10, 10, 10, 10, 10]),  # no change: z = 0
]


@pytest.mark.parametrize(("r", "n"), TREND_CASES)
def test_chi_square_trend_matches_statsmodels(r: list[int], n: list[int]) -> None:
    """Cochran–Armitage's z against statsmodels' linear-by-linear association test (Agresti's
    M² = (N − 1)·r², where the chi-square test for trend is N·r²: z_CA = z_M·sqrt(N / (N − 1)))."""
    m = macros("trend_tests")
    t = list(range(1, len(r) + 1))
    z = sql_aggregate(
        str(m.chi_square_trend_z("t", "r", "n")),
        [(ti, ri, ni, 0, 0) for ti, ri, ni in zip(t, r, n, strict=True)],
    )
    table = Table(np.column_stack([r, np.subtract(n, r)]).astype(float), shift_zeros=False)
    reference = table.test_ordinal_association(
        row_scores=np.array(t, dtype=float), col_scores=np.array([1.0, 0.0])
    )
    total = sum(n)
    assert z == pytest.approx(reference.zscore * math.sqrt(total / (total - 1)), rel=1e-9, abs=1e-12)
    # the verdict: significant at 5 % exactly when the chi-square p-value is below 0.05
    assert (abs(z) > Z) == (chi2.sf(z * z, 1) < 0.05)


def test_chi_square_trend_is_undefined_without_variation() -> None:
    """All 0 % (or all 100 %): p̄(1 − p̄) = 0, no test statistic (the view reads it as no change)."""
    m = macros("trend_tests")
    for r in ([0, 0, 0, 0, 0], [10, 10, 10, 10, 10]):
        rows = [(t, ri, 10, 0, 0) for t, ri in zip(range(1, 6), r, strict=True)]
        assert sql_aggregate(str(m.chi_square_trend_z("t", "r", "n")), rows) is None


WLS_CASES = [
    # (values, 95 % intervals as (low, high)) for t = 1 … len(values)
    ([51, 60, 55, 55], [(49, 53), (58, 62), (53, 57), (53, 57)]),
    ([10, 20, 18.5], [(6, 14), (18, 22), (16.5, 20.5)]),
    ([12.0, 13.5, 15.1, 16.0, 18.2], [(10.1, 14.2), (11.6, 15.7), (13.0, 17.4), (14.1, 18.1), (16.0, 20.6)]),
    ([30, 29, 31, 30, 30], [(25, 35), (24, 34), (26, 36), (25, 35), (25, 35)]),
    ([5.0, 4.0, 3.1, 2.2, 1.0], [(4.1, 6.1), (3.2, 4.9), (2.4, 4.0), (1.6, 3.0), (0.5, 1.8)]),  # rates (Byar)
    ([0.0, 0.5, 1.0], [(0.0, 0.9), (0.1, 1.5), (0.4, 2.0)]),  # small counts near 0
    ([99.0, 99.5, 100.0, 100.0], [(96.0, 99.8), (97.0, 99.9), (98.5, 100.0), (98.6, 100.0)]),  # near 100 %
    ([40, 42, 39, 45, 47], [(30, 50), (35, 49), (31, 47), (40, 50), (44, 50)]),
    ([8.1, 8.3, 8.0, 8.6, 8.4], [(7.9, 8.3), (8.1, 8.5), (7.8, 8.2), (8.4, 8.8), (8.2, 8.6)]),
    ([22, 18, 25], [(10, 34), (8, 28), (15, 35)]),
    ([70, 68, 66, 60, 55], [(66, 74), (64, 72), (62, 70), (56, 64), (51, 59)]),
]


@pytest.mark.parametrize(("y", "ci"), WLS_CASES)
def test_wls_trend_matches_statsmodels(y: list[float], ci: list[tuple[float, float]]) -> None:
    """Slope over its standard error with known variances: statsmodels WLS, scale fixed at 1."""
    m = macros("trend_tests")
    t = np.arange(1, len(y) + 1, dtype=float)
    w = np.array([1 / ((high - low) / (2 * 1.96)) ** 2 for low, high in ci])
    z = sql_aggregate(
        str(m.wls_trend_z("t", "y", "w")), [(ti, 0, 0, yi, wi) for ti, yi, wi in zip(t, y, w, strict=True)]
    )
    fit = sm.WLS(np.array(y, dtype=float), sm.add_constant(t), weights=w).fit(
        cov_type="fixed scale", cov_kwds={"scale": 1.0}
    )
    assert z == pytest.approx(fit.params[1] / fit.bse[1], rel=1e-9)
    assert (abs(z) > Z) == (fit.pvalues[1] < 0.05)


# --------------------------------------------------------------------------- the comparison rule


@pytest.mark.parametrize(
    ("value", "low", "high", "benchmark", "higher_is_better", "verdict"),
    [
        (4.0, 3.5, 4.5, 5.0, False, "better"),  # benchmark above the interval, lower is better
        (4.0, 3.5, 4.5, 5.0, True, "worse"),
        (4.0, 3.5, 4.5, 3.0, True, "better"),
        (4.0, 3.5, 4.5, 4.5, True, "similar"),  # on the bound: inside
        (4.0, 3.5, 4.5, 3.9, True, "similar"),
        (4.0, None, None, 9.0, True, "not_compared"),  # no interval: nothing claimed
        (4.0, 3.5, 4.5, None, True, None),
        (None, None, None, 4.0, True, None),
        (4.0, 3.5, 4.5, 9.0, None, None),  # context: no direction
    ],
)
def test_significance_claims_a_difference_only_outside_the_interval(
    value, low, high, benchmark, higher_is_better, verdict
) -> None:
    m = macros("significance")
    expression = str(m.significance("v", "lo", "hi", "b", "hib"))
    con = duckdb.connect()
    got = con.execute(
        f"select {expression} from (select $v::double as v, $lo::double as lo, $hi::double as hi,"
        " $b::double as b, $hib::boolean as hib)",
        {"v": value, "lo": low, "hi": high, "b": benchmark, "hib": higher_is_better},
    ).fetchone()[0]
    assert got == verdict
