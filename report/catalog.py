"""The indicator catalogue as one page a reader can browse, from the published mart.

``python -m report.catalog`` (``make catalog``) writes ``warehouse/reports/indikatorkatalog.html``:
the indicators by protective factor, outcome and context, each with its source and id, the
levels and sexes it has values for (a county value the mart derived is marked so), its ages,
the years with a value, and how often the source publishes.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

import warehouse
from ingest.catalog import CATALOG_PATH
from ingest.settings import Settings
from report.render import source_name
from warehouse.publish import open_published

FRESHNESS_PATH = CATALOG_PATH.with_name("freshness.yml")
LEVEL_NAMES = {"municipality": "kommun", "county": "län", "country": "riket"}
SEX_WORDS = {False: {"female": "flickor", "male": "pojkar"}, True: {"female": "kvinnor", "male": "män"}}

ROWS_SQL = """
select d.protective_factor, p.label_sv, p.kind, p.sort_order, d.indicator_id, d.short_title, d.title,
    d.source, d.source_ref, d.unit, d.higher_is_better, d.age_label, d.adult_measure,
    list(distinct r.region_level) filter (where f.value is not null) as levels,
    list(distinct r.region_level) filter (where f.status = 'derived') as derived_levels,
    list(distinct f.sex) filter (where f.value is not null) as sexes,
    min(f.period_start) filter (where f.value is not null) as first_year,
    max(f.period_end) filter (where f.value is not null) as last_year
from dim_indicator as d
join dim_protective_factor as p using (protective_factor)
left join fct_indicator_value as f using (indicator_id)
left join dim_region as r using (region_code)
group by all
order by p.sort_order, d.short_title
"""


@dataclass(frozen=True)
class Entry:
    indicator_id: str
    short_title: str
    title: str
    source: str
    source_ref: str
    levels: str
    sexes: str
    ages: str
    years: str
    cadence: str
    direction: str


@dataclass
class Group:
    code: str
    label: str
    kind: str
    entries: list[Entry]


def cadences() -> tuple[dict[str, str], dict[str, str]]:
    """How often each source publishes (freshness.yml), and per-indicator notes."""
    raw = yaml.safe_load(FRESHNESS_PATH.read_text(encoding="utf-8")) or {}
    by_source = {k: str(v.get("cadence", "")) for k, v in (raw.get("by_source") or {}).items()}
    by_indicator = {k: str(v.get("cadence", "")) for k, v in (raw.get("by_indicator") or {}).items()}
    return by_source, by_indicator


def _levels(levels: list[str] | None, derived: list[str] | None) -> str:
    shown = [level for level in ("municipality", "county", "country") if level in (levels or [])]
    words = [LEVEL_NAMES[level] + (" (beräknat)" if level in (derived or []) else "") for level in shown]
    return ", ".join(words) or "inga värden ännu"


def _sexes(sexes: list[str] | None, adult: bool) -> str:
    split = [SEX_WORDS[adult][s] for s in ("female", "male") if s in (sexes or [])]
    parts = (["totalt"] if "total" in (sexes or []) else []) + split
    return ", ".join(parts).capitalize() if parts else "–"


def catalogue(mart_db: Path) -> list[Group]:
    """The catalogue's groups, in report order, from the published mart."""
    by_source, by_indicator = cadences()
    with open_published(mart_db) as con:
        rows = con.execute(ROWS_SQL).fetchall()
    groups: dict[str, Group] = {}
    for (factor, label, kind, _, ind_id, short, title, source, ref, _unit, hib, age_label, adult,
         levels, derived, sexes, first, last) in rows:  # fmt: skip
        source_key = "survey" if source.startswith("survey:") else source
        group = groups.setdefault(factor, Group(factor, label, kind, []))
        group.entries.append(
            Entry(
                indicator_id=ind_id,
                short_title=short,
                title=title,
                source=source_name(source),
                source_ref=ref,
                levels=_levels(levels, derived),
                sexes=_sexes(sexes, bool(adult)),
                ages=age_label or "–",
                years=("–" if first is None else str(first) if first == last else f"{first}–{last}"),
                cadence=by_indicator.get(ind_id) or by_source.get(source_key) or "enligt källan",
                direction={True: "högre är bättre", False: "lägre är bättre"}.get(hib, "ingen riktning"),
            )
        )
    return list(groups.values())


def render(groups: list[Group]) -> str:
    env = Environment(
        loader=PackageLoader("report", "templates"),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
    )
    total = sum(len(g.entries) for g in groups)
    return env.get_template("catalog.html.j2").render(groups=groups, total=total)


def write_catalogue(mart_db: Path, out: Path) -> Path:
    """Write the page next to the reports, replacing any earlier one whole."""
    html = render(catalogue(mart_db))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report.catalog", description=__doc__)
    parser.add_argument("--mart", type=Path, help="the published mart (default: warehouse/mart.duckdb)")
    parser.add_argument("--out", type=Path, help="the page (default: reports/indikatorkatalog.html)")
    args = parser.parse_args(argv)
    root = Settings.from_environment().warehouse_dir
    mart_db = args.mart or warehouse.mart_db(root)
    if not mart_db.exists():
        print(f"catalog: no published mart at {mart_db}; run make run first", file=sys.stderr)
        return 1
    out = args.out or warehouse.reports_dir(root) / "indikatorkatalog.html"
    print(f"catalog: wrote {write_catalogue(mart_db, out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
