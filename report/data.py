"""Everything one report shows, read from the published mart in one read-only session.

A report is about one area: a county (with its municipalities) or a municipality (with its
county, its kommungrupp and the county's other municipalities). The figures come from
``fct_indicator_value`` (the area, its county's municipalities and Sweden); the
verdicts from the analyst views: ``v_indicator_trend`` (better / worse since the previous
period and the trend test over the latest five periods, claimed only when significant),
``v_indicator_comparison`` (county vs Sweden: better / worse only when Sweden's value lies
outside the county's 95 % interval, not_compared without one) and ``v_coverage`` (gaps).
Nothing is computed here that a view already decides.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.codes import SEXES
from ingest.kolada import DEFAULT_BASE_URL as KOLADA_BASE_URL
from ingest.pxweb import DEFAULT_BASE_URLS as PXWEB_BASE_URLS
from warehouse.publish import open_published

SEX_LABELS = {"total": "Totalt", "female": "Flickor", "male": "Pojkar"}
ADULT_SEX_LABELS = {"total": "Totalt", "female": "Kvinnor", "male": "Män"}
# Why a value is missing, in the reader's words. Suppressed is never shown as a number.
STATUS_WORDS = {
    "suppressed": "för få svar",
    "not_applicable": "ej tillämpligt",
    "not_yet_available": "ej publicerat ännu",
    "not_available": "uppgift saknas",
    "missing": "uppgift saknas",
    "Missing": "uppgift saknas",  # marts published before the status vocabulary was lower-case
    "no_row": "ingen uppgift från källan",
}


class ReportError(RuntimeError):
    """The report cannot be built from this mart (no file, unknown county, no data)."""


@dataclass(frozen=True)
class Cell:
    """One figure of the mart: a value with its status, or NULL with the status saying why."""

    value: float | None
    status: str | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    rate: float | None = None  # per 1,000 inhabitants in the ages, for a count


@dataclass(frozen=True)
class Period:
    start: int
    end: int

    @property
    def label(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str


@dataclass
class Verdict:
    """The views' verdicts on the county's latest value of one series (one sex)."""

    sex: str
    period: Period | None = None
    direction_1: str | None = None  # better / worse / unchanged / not_compared since the previous period
    base_period_1: str | None = None
    change_1: float | None = None
    compared_on: str | None = None  # value, or rate_per_1000 for a count (change_1 is then per 1,000)
    trend: str | None = None  # improving / worsening / no_significant_change / not_tested
    trend_method: str | None = None  # chi_square_trend or wls
    trend_first_period: str | None = None
    trend_last_period: str | None = None
    vs_sweden: str | None = None  # better / worse / similar / not_compared
    diff_sweden: float | None = None
    sweden_value: float | None = None
    value: float | None = None
    status: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    vs_county: str | None = None  # a municipality against its county
    county_value: float | None = None
    vs_kommungrupp: str | None = None  # a municipality against its kommungrupp's mean
    kommungrupp_value: float | None = None


@dataclass
class Indicator:
    """One series of the report: an indicator at one age group."""

    indicator_id: str
    title: str
    protective_factor: str
    unit: str
    higher_is_better: bool | None
    age_group: str
    source: str
    age_label: str = ""  # the ages as the source means them: "Åk 9", "13 år", "16–84 år"
    is_adult: bool = False  # an adult measure: Kvinnor/Män, not Flickor/Pojkar
    source_refs: list[str] = field(default_factory=list)  # every table, KPI or file behind it
    periods: list[Period] = field(default_factory=list)
    # values[sex][region_code][period] for the county, Sweden and the municipalities
    values: dict[str, dict[str, dict[Period, Cell]]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    coverage: list[str] = field(default_factory=list)  # one line per kind of gap, naming the regions
    coverage_print: list[str] = field(default_factory=list)  # the same in short, for paper
    municipal_level: bool = True  # the source publishes it for municipalities at all

    @property
    def key(self) -> str:
        return self.indicator_id if self.age_group == "total" else f"{self.indicator_id}__{self.age_group}"

    @property
    def sex_labels(self) -> dict[str, str]:
        return ADULT_SEX_LABELS if self.is_adult else SEX_LABELS

    @property
    def sexes(self) -> list[str]:
        return [sex for sex in SEXES if sex in self.values]

    @property
    def comparable_with_sweden(self) -> bool:
        """Counts grow with the population: a county's count is not set against Sweden's."""
        return self.unit != "count"

    @property
    def main_sex(self) -> str:
        """The sex the summary and the municipality chart use: total where the source has it."""
        return "total" if "total" in self.values else self.sexes[0]

    def cell(self, sex: str, region: str, period: Period) -> Cell | None:
        return self.values.get(sex, {}).get(region, {}).get(period)

    def latest_period(self, regions: list[str], sexes: list[str] | None = None) -> Period | None:
        """The newest period in which one of ``regions`` has a value (else a row), any of ``sexes``."""
        cells = [
            (period, cell)
            for sex in sexes or self.sexes
            for region in regions
            for period, cell in self.values.get(sex, {}).get(region, {}).items()
        ]
        with_value = {p for p, c in cells if c.value is not None} or {p for p, _ in cells}
        return max(with_value, key=lambda p: (p.end, p.start)) if with_value else None


@dataclass
class Factor:
    code: str
    kind: str
    label: str
    description: str
    indicators: list[Indicator] = field(default_factory=list)


@dataclass
class SourceUse:
    """One source table or KPI behind the report's figures."""

    source: str
    source_ref: str
    indicator_ids: list[str]
    rows: int
    first_fetched: str
    last_fetched: str
    request_url: str
    titles: list[str] = field(default_factory=list)  # the source's title, or the indicators' titles
    source_title: str | None = None  # a survey's title (its spec's)


@dataclass
class SourceProblem:
    """A catalogued table or KPI that was not fresh when the mart was built (meta_source_status)."""

    source: str
    source_ref: str
    status: str  # stale or failed (or fresh with indicators lacking rows)
    reason: str
    failing_since: str | None
    last_good_fetch: str | None
    failed_indicators: str | None


KOMMUNGRUPP = "kommungrupp"  # the pseudo region code of a kommungrupp's mean in Indicator.values


@dataclass
class ReportData:
    """One report: ``area`` is the county or municipality it is about; ``county`` its county
    (the area itself in a county report); ``municipalities`` the county's municipalities."""

    county: Region
    sweden: Region
    municipalities: list[Region]
    same_area_as: str | None
    factors: list[Factor]
    sources: list[SourceUse]
    published_at: str
    run_id: str
    mart_path: Path
    source_problems: list[SourceProblem] = field(default_factory=list)
    area: Region | None = None
    kommungrupp: Region | None = None  # a municipality's SKR kommungrupp (its mean as a series)
    test_data: list[str] = field(default_factory=list)  # base URLs other than the official ones

    def __post_init__(self) -> None:
        self.area = self.area or self.county

    @property
    def is_municipality(self) -> bool:
        return self.area.level == "municipality"

    @property
    def indicators(self) -> list[Indicator]:
        return [indicator for factor in self.factors for indicator in factor.indicators]


CountyData = ReportData  # the name callers used before municipality reports


def read_county(mart_db: Path, county_code: str, con: duckdb.DuckDBPyConnection | None = None) -> ReportData:
    """Read one county's or municipality's report data from the published mart (read-only).

    ``con``: a connection of ``open_mart`` to reuse for a batch of reports (one publication).
    """
    if con is not None:
        try:
            return _read(con, mart_db, county_code)
        except duckdb.Error as exc:
            raise ReportError(f"{mart_db} (region {county_code}): {exc}") from exc
    with open_mart(mart_db) as own:
        return read_county(mart_db, county_code, own)


read_report = read_county


def county_codes(mart_db: Path) -> list[str]:
    """Every county of the published mart's ``dim_region``."""
    with open_mart(mart_db) as con:
        try:
            return [
                r[0]
                for r in con.execute(
                    "select region_code from dim_region where region_level = 'county' order by region_code"
                ).fetchall()
            ]
        except duckdb.Error as exc:
            raise ReportError(f"{mart_db}: {exc}") from exc


def municipality_codes(mart_db: Path) -> list[str]:
    """Every municipality of the published mart's ``dim_region`` (Gotland's once, as its county)."""
    with open_mart(mart_db) as con:
        return [
            r[0]
            for r in con.execute(
                "select region_code from dim_region where region_level = 'municipality'"
                " and region_code not in (select same_area_as from dim_region where same_area_as is not null)"
                " order by region_code"
            ).fetchall()
        ]


def open_mart(mart_db: Path) -> duckdb.DuckDBPyConnection:
    """The published mart, read-only; a clear error when there is none or it cannot be opened."""
    if not mart_db.exists():
        raise ReportError(f"no published mart at {mart_db}: run `make run` (or `make rebuild`) first")
    try:
        return open_published(mart_db)  # the publication on disk now, also in a long-lived process
    except duckdb.Error as exc:
        raise ReportError(f"cannot open the published mart {mart_db}: {exc}") from exc


def _read(con: duckdb.DuckDBPyConnection, mart_db: Path, code: str) -> ReportData:
    regions = {
        row[0]: row
        for row in con.execute(
            "select region_code, region_name, region_level, county_code, same_area_as, kommungrupp"
            " from dim_region"
        ).fetchall()
    }
    entry = regions.get(code)
    if entry is None or entry[2] not in ("county", "municipality"):
        counties = sorted(c for c, row in regions.items() if row[2] == "county")
        raise ReportError(
            f"county {code!r} is not a county of {mart_db} (dim_region has: {', '.join(counties)};"
            " a municipality's four-digit code, e.g. 1780, gives its own report)"
        )
    area = Region(*entry[:3])
    county_code = code if area.level == "county" else entry[3]
    county_row = regions.get(county_code)
    if county_row is None:
        raise ReportError(f"municipality {code} ({area.name}) has no county in {mart_db}")
    county, same_area_as = Region(*county_row[:3]), county_row[4]
    kommungrupp = (
        Region(KOMMUNGRUPP, entry[5], "kommungrupp") if area.level == "municipality" and entry[5] else None
    )
    sweden = next(
        (Region(*row[:3]) for row in regions.values() if row[2] == "country"),
        Region("00", "Riket", "country"),
    )
    municipalities = sorted(  # Gotland's one municipality is the county itself: shown once
        (
            Region(*row[:3])
            for row in regions.values()
            if row[2] == "municipality" and row[3] == county_code and row[0] != same_area_as
        ),
        key=lambda r: r.name,
    )
    if area.level == "municipality" and area.code == same_area_as:
        area = county  # Gotland: the municipality's report is the county's

    # Gotland: the county's own value where it has one, else the municipality's (one area)
    same = [same_area_as] if same_area_as else []
    local = [county.code, *(m.code for m in municipalities), *same]
    own = [area.code, *same] if area.level == "county" else [area.code]
    indicators: dict[tuple[str, str], Indicator] = {}
    # Every period of the area, its county and Sweden (the trend charts); of the other
    # municipalities only the periods a chart or table shows: their newest with a value, the area's.
    rows = con.execute(
        """
        with f as (
            select f.*, f.region_code in (select unnest($others)) as is_other
            from fct_indicator_value as f
            where f.region_code in (select unnest($regions))
                and (f.indicator_id, f.age_group) in (
                    select (indicator_id, age_group) from fct_indicator_value
                    where region_code in (select unnest($own))
                )
        ),
        shown as (
            select indicator_id, age_group,
                max(period_end) filter (where is_other and value is not null) as others_end,
                max(period_end) filter (where not is_other and region_code in (select unnest($own))
                    and value is not null) as own_end
            from f
            group by indicator_id, age_group
        )
        select f.indicator_id, f.age_group, f.sex, f.region_code, f.period_start, f.period_end,
            f.value, f.status, f.ci_low, f.ci_high, f.n,
            d.short_title, d.protective_factor, d.unit, d.higher_is_better, f.source, f.source_ref,
            f.age_label, d.adult_measure, f.rate_per_1000
        from f
        join shown using (indicator_id, age_group)
        join dim_indicator as d using (indicator_id)
        where not f.is_other or shown.others_end is null
            or f.period_end in (shown.others_end, shown.own_end)
        order by f.period_end desc, f.source_ref
        """,
        {
            "regions": [sweden.code, *local],
            "own": own if area.level == "municipality" else local,
            "others": [m.code for m in municipalities if m.code != area.code],
        },
    ).fetchall()
    for (ind_id, age, sex, region, start, end, value, status, lo, hi, n,
         title, factor, unit, hib, source, ref, age_label, adult, rate) in rows:  # fmt: skip
        indicator = indicators.get((ind_id, age))
        if indicator is None:
            indicator = indicators[(ind_id, age)] = Indicator(
                ind_id, title, factor, unit, hib, age, source, age_label or "", bool(adult)
            )
        if ref not in indicator.source_refs:
            indicator.source_refs.append(ref)  # newest period's first
        period = Period(start, end)
        cells = indicator.values.setdefault(sex, {}).setdefault(county.code if region in same else region, {})
        if region not in same or period not in cells:
            cells[period] = Cell(value, status, lo, hi, n, rate)
    if kommungrupp is not None:
        _add_kommungrupp(con, indicators, area.code)
    for indicator in indicators.values():
        indicator.periods = sorted(
            {p for by_region in indicator.values.values() for cells in by_region.values() for p in cells},
            key=lambda p: (p.start, p.end),
        )
    if not indicators:
        raise ReportError(f"{mart_db} has no indicator values for {area.level} {code} ({area.name})")

    _add_verdicts(con, indicators, area.code)
    _add_coverage(
        con,
        indicators,
        area.code,
        {m.code: m.name for m in municipalities} if area.level == "county" else {},
    )
    factors = _factors(con, indicators)
    published_at, run_id = con.execute(
        "select cast(published_at as varchar), run_id from meta_publication"
    ).fetchone()
    sources = _sources(con, [sweden.code, *local])
    return ReportData(
        county=county,
        sweden=sweden,
        municipalities=municipalities,
        same_area_as=same_area_as,
        factors=factors,
        sources=sources,
        published_at=published_at,
        run_id=run_id,
        mart_path=mart_db,
        source_problems=_source_problems(con),
        area=area,
        kommungrupp=kommungrupp,
        test_data=unofficial_bases(sources),
    )


def _add_kommungrupp(con, indicators: dict[tuple[str, str], Indicator], municipality: str) -> None:
    """The municipality's kommungrupp mean per period, as the series ``KOMMUNGRUPP``."""
    for ind_id, age, sex, start, end, mean in con.execute(
        """
        select indicator_id, age_group, sex, period_start, period_end, kommungrupp_mean
        from v_indicator_comparison where region_code = ? and kommungrupp_mean is not null
        """,
        [municipality],
    ).fetchall():
        if (indicator := indicators.get((ind_id, age))) is not None and sex in indicator.values:
            indicator.values[sex].setdefault(KOMMUNGRUPP, {})[Period(start, end)] = Cell(mean, None)


def _add_verdicts(con, indicators: dict[tuple[str, str], Indicator], county: str) -> None:
    for ind_id, age, sex, start, end, direction, base, change, *trend in con.execute(
        """
        select indicator_id, age_group, sex, latest_period_start, latest_period_end,
            direction_1, base_period_1, change_1, compared_on, trend, trend_method, trend_first_period,
            trend_last_period
        from v_indicator_trend where region_code = ?
        """,
        [county],
    ).fetchall():
        if (indicator := indicators.get((ind_id, age))) is not None:
            verdict = indicator.verdicts.setdefault(sex, Verdict(sex))
            verdict.period = Period(start, end) if start is not None else None
            verdict.direction_1, verdict.base_period_1, verdict.change_1 = direction, base, change
            (
                verdict.compared_on,
                verdict.trend,
                verdict.trend_method,
                verdict.trend_first_period,
                verdict.trend_last_period,
            ) = trend
    for ind_id, age, sex, start, end, value, status, lo, hi, vs, diff, sweden, *others in con.execute(
        """
        select c.indicator_id, c.age_group, c.sex, c.period_start, c.period_end, c.value, c.status,
            c.ci_low, c.ci_high, c.vs_sweden, c.diff_sweden, c.sweden_value,
            c.vs_county, c.county_value, c.vs_kommungrupp, c.kommungrupp_mean
        from v_indicator_comparison as c
        where c.region_code = ?
        qualify row_number() over (
            partition by c.indicator_id, c.age_group, c.sex order by c.period_end desc, c.period_start desc
        ) = 1
        """,
        [county],
    ).fetchall():
        if (indicator := indicators.get((ind_id, age))) is not None:
            verdict = indicator.verdicts.setdefault(sex, Verdict(sex))
            if verdict.period is None or verdict.period == Period(start, end):
                verdict.period = Period(start, end)
                verdict.vs_sweden, verdict.diff_sweden = vs, diff
                verdict.sweden_value, verdict.value, verdict.status = sweden, value, status
                verdict.ci_low, verdict.ci_high = lo, hi
                (verdict.vs_county, verdict.county_value, verdict.vs_kommungrupp,
                 verdict.kommungrupp_value) = others  # fmt: skip


def _add_coverage(con, indicators, county: str, municipalities: dict[str, str]) -> None:
    """One short line per kind of gap: "värde saknas 2026 (uppgift saknas): Kil, Eda"."""
    names = {county: None, **municipalities}
    by_indicator: dict[str, dict[str, list[str]]] = defaultdict(dict)
    short: dict[str, dict[str, list[str]]] = defaultdict(dict)  # the area itself, regions with none
    partial: dict[str, set[str]] = defaultdict(set)  # municipalities missing some periods
    unpublished: set[str] = set()
    for region, region_name, ind_id, published, coverage, missing, statuses in con.execute(
        """
        select region_code, region_name, indicator_id, published_at_level, coverage,
            periods_missing, missing_statuses
        from v_coverage
        where region_code in (select unnest(?))
        order by region_level, region_name
        """,
        [list(names)],
    ).fetchall():
        if not published:
            if region != county:
                unpublished.add(ind_id)
            continue
        if coverage == "complete":
            continue
        what = "inga värden" if coverage == "missing" else f"värde saknas {missing}"
        words = dict.fromkeys(STATUS_WORDS.get(s.strip(), s.strip()) for s in (statuses or "").split(","))
        words.pop("", None)
        kind = what + (f" ({', '.join(words)})" if words else "")
        by_indicator[ind_id].setdefault(kind, []).append(region_name)
        if region == county or coverage == "missing":
            short[ind_id].setdefault(kind, []).append(region_name)
        else:
            partial[ind_id].add(region_name)
    for indicator in indicators.values():
        gaps = by_indicator.get(indicator.indicator_id, {})
        indicator.coverage = [f"{kind}: {', '.join(regions)}" for kind, regions in gaps.items()]
        indicator.coverage_print = [
            f"{k}: {', '.join(r)}" for k, r in short.get(indicator.indicator_id, {}).items()
        ]
        if some := partial.get(indicator.indicator_id):
            indicator.coverage_print.append(
                f"{len(some)} kommun{'er' if len(some) > 1 else ''} saknar värde enstaka perioder"
                " (webbversionen listar dem)"
            )
        indicator.municipal_level = indicator.indicator_id not in unpublished


def _factors(con, indicators: dict[tuple[str, str], Indicator]) -> list[Factor]:
    factors = [
        Factor(code, kind, label, description)
        for code, kind, label, description in con.execute(
            "select protective_factor, kind, label_sv, description from dim_protective_factor"
            " order by sort_order"
        ).fetchall()
    ]
    by_code = {f.code: f for f in factors}
    for indicator in sorted(indicators.values(), key=lambda i: (i.title, _age_order(i.age_group))):
        factor = by_code.get(indicator.protective_factor)
        if factor is None:
            factor = by_code[indicator.protective_factor] = Factor(
                indicator.protective_factor, "context", indicator.protective_factor, ""
            )
            factors.append(factor)
        factor.indicators.append(indicator)
    return factors


def _age_order(age_group: str) -> tuple[int, str]:
    head = age_group.split("-")[0]
    return (int(head), age_group) if head.isdigit() else (-1, age_group)


def _sources(con, codes: list[str]) -> list[SourceUse]:
    has_title = con.execute(
        "select count(*) from duckdb_columns()"
        " where table_name = 'dim_indicator' and column_name = 'source_title'"
    ).fetchone()[0]
    source_title = "min(d.source_title)" if has_title else "cast(null as varchar)"  # marts before it
    return [
        SourceUse(source, ref, ids, rows, first[:10], last[:10], url, titles, source_title)
        for source, ref, ids, rows, first, last, url, titles, source_title in con.execute(
            f"""
            select f.source, f.source_ref, list(distinct f.indicator_id order by f.indicator_id), count(*),
                cast(min(f.fetched_at) as varchar), cast(max(f.fetched_at) as varchar), min(f.request_url),
                list(distinct d.title order by d.title), {source_title}
            from fct_indicator_value as f
            join dim_indicator as d using (indicator_id)
            where f.region_code in (select unnest(?))
            group by f.source, f.source_ref
            order by f.source, f.source_ref
            """,
            [codes],
        ).fetchall()
    ]


# The live APIs' base URLs (ingest's defaults): a report built from any other host is test data.
OFFICIAL_BASES = {
    "kolada": (KOLADA_BASE_URL,),
    "scb": (PXWEB_BASE_URLS["scb"],),
    "fohm": (PXWEB_BASE_URLS["fohm"],),
}


def source_base(source: SourceUse | str, urls: list[str] | None = None) -> str:
    """The base URL a source's requests share (up to the API's version path)."""
    urls = urls if urls is not None else [source.request_url]
    prefix = os.path.commonprefix(urls)
    for marker in ("/v3/", "/api/v2/", "/api/v1/sv/"):
        if marker in prefix:
            return prefix[: prefix.index(marker) + len(marker)]
    return prefix[: prefix.rfind("/") + 1] if "/" in prefix else prefix


def unofficial_bases(sources: list[SourceUse]) -> list[str]:
    """Base URLs of API sources other than the official ones (surveys are the region's own files)."""
    found = []
    for use in sources:
        official = OFFICIAL_BASES.get(use.source)
        if official is None:
            continue
        if not use.request_url.startswith(official):
            base = source_base(use)
            if base not in found:
                found.append(base)
    return found


def _source_problems(con) -> list[SourceProblem]:
    """Tables and KPIs the mart could not refresh; none for a mart without meta_source_status."""
    present = con.execute("select count(*) from duckdb_tables() where table_name = 'meta_source_status'")
    if not present.fetchone()[0]:
        return []
    return [
        SourceProblem(*row)
        for row in con.execute(
            """
            select source, source_ref, status, coalesce(reason, ''),
                strftime(failing_since, '%Y-%m-%d'), strftime(last_good_fetch, '%Y-%m-%d'),
                failed_indicators
            from meta_source_status
            where status <> 'fresh' or failed_indicators is not null
            order by source, source_ref
            """
        ).fetchall()
    ]
