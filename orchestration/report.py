"""The county reports (Barnhälsorapport): HTML and PDF per county from the published mart."""

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
)
from pydantic import Field

from ingest import settings
from orchestration.resources import WarehouseResource
from report.build import build_reports
from report.data import county_codes

COUNTIES_ENV = settings.REPORT_COUNTIES


class CountyReportConfig(Config):
    counties: list[str] = Field(
        default_factory=list,
        description=f"County codes, e.g. ['17', '24', '13']; empty: {COUNTIES_ENV}, else every county.",
    )
    municipalities: list[str] = Field(
        default_factory=list,
        description="Municipality codes, e.g. ['1780']: the same report for each, against its county,"
        " kommungrupp and Sweden (built beside the counties' reports).",
    )
    pdf: bool = Field(default=True, description="Also print each report to PDF (needs Chromium).")


def configured_counties(config: CountyReportConfig | None, warehouse: WarehouseResource) -> list[str]:
    """The run config's counties, else ``BARNHALSA_REPORT_COUNTIES`` (comma-separated, the
    warehouse resource's ``settings``); empty: all."""
    if config is not None and config.counties:
        return list(config.counties)
    return list(warehouse.settings.report_counties)


@asset(
    key="county_reports",
    group_name="report",
    deps=["published_mart"],
    kinds={"html", "pdf"},
    description=(
        "Barnhälsorapport per county (and per municipality in the run config):"
        " warehouse/reports/<code>/barnhalsorapport-<code>.html"
        " (self-contained, offline) and .pdf, built from the published mart's analyst views."
        " Each county's files are swapped in only when both are written."
    ),
)
def county_reports(
    context: AssetExecutionContext, config: CountyReportConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    counties = configured_counties(config, warehouse) or county_codes(warehouse.mart_db)
    built = build_reports(
        warehouse.mart_db,
        warehouse.reports_dir,
        [*counties, *config.municipalities],
        pdf=config.pdf,
        log=context.log.info,
        text_dir=warehouse.report_text_dir,
        chromium=warehouse.settings.chromium,
    )
    return MaterializeResult(
        metadata={
            "reports_dir": MetadataValue.path(str(warehouse.reports_dir)),
            "counties": MetadataValue.json({r.county_code: r.county_name for r in built}),
            "reports": MetadataValue.md(
                "| county | series | charts | PDF pages | seconds | HTML |\n|---|---|---|---|---|---|\n"
                + "\n".join(
                    f"| {r.county_code} {r.county_name} | {r.indicators} | {r.charts} | {r.pages or '-'}"
                    f" | {r.seconds:.1f} | `{r.html}` |"
                    for r in built
                )
            ),
            "published_at": built[0].published_at if built else "",
            "pdf_pages": sum(r.pages or 0 for r in built),
        }
    )


county_reports_job = define_asset_job(
    "build_county_reports",
    selection=AssetSelection.assets(county_reports),
    description="Build the county reports from the mart already published (no source is asked).",
)
