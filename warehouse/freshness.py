"""Has anything changed since the published mart? Asked before a run starts, without Dagster.

Nothing changed when every one of these holds: the mart is published; the raw tables were
loaded from the newest landing batch of every source; the build that produced the published
mart had the same loads and the same dbt project files (``warehouse.state``); Kolada reports no
value changed since its batch was fetched and the same region, group and KPI lists
(``KoladaClient.unchanged_since``); every PxWeb table has the ``updated`` stamp and selection
of its batch (``table_unchanged``); and the survey drop folder holds what was last landed. The
questions to the sources land nothing. Any doubt answers
"changed", which only costs a normal run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ingest import kolada, surveys
from ingest.catalog import PxTable
from ingest.http import SourceError
from ingest.landing import Landing
from ingest.pxweb import PxWebClient
from ingest.pxweb_tables import build_selection, landing_for, table_unchanged
from warehouse import state
from warehouse.source_status import load_key

KOLADA_RAW_TABLES = (
    "kolada_values",
    "kolada_municipality",
    "kolada_kpi",
    "kolada_municipality_groups",
    "kolada_status",
)


def unchanged(
    *,
    raw_dir: Path,
    build_db: Path,
    mart_db: Path,
    kolada_client: kolada.KoladaClient,
    kpi_ids: Sequence[str],
    years: Sequence[int],
    pxweb_client: Callable[[str], PxWebClient],
    tables: Sequence[PxTable],
    surveys_dir: Path | None = None,
    force: bool,
) -> tuple[bool, str]:
    """(True, why) when neither the sources nor the build inputs changed since the published mart;
    never with ``force`` (``Settings.force``)."""
    if force:
        return False, "BARNHALSA_FORCE is set"
    if not mart_db.exists():
        return False, f"{mart_db} is not published yet"
    kolada_landing = Landing(raw_dir, kolada.SOURCE)
    kolada_batch = kolada_landing.latest_or_none()
    px_landings = {spec.key: landing_for(raw_dir, spec) for spec in tables}
    px_batches = {key: landing.latest_or_none() for key, landing in px_landings.items()}
    px_failures = {key: landing.failure() for key, landing in px_landings.items()}
    if kolada_batch is None:
        return False, "Kolada has no landing batch yet"
    if any(px_batches[k] is None and px_failures[k] is None for k in px_batches):
        return False, "a source has no landing batch yet"
    survey_batch = Landing(raw_dir, "survey").latest_or_none()
    if surveys_dir is not None:
        dropped = surveys.folder_digest(surveys_dir)
        landed = survey_batch.info().get("digest") if survey_batch else None
        if dropped is None or dropped != landed:
            return False, f"the survey drop folder {surveys_dir} changed"
    loads = {
        **state.kolada_loads(load_key(kolada_batch, kolada_landing.failure()), KOLADA_RAW_TABLES),
        **state.pxweb_loads(
            {s.key: (s.kind, load_key(px_batches[s.key], px_failures[s.key])) for s in tables}
        ),
        **state.survey_loads(survey_batch.path.name if survey_batch else None),
    }
    if not state.loads_unchanged(build_db, loads, force=False):  # force returned above
        return False, "the raw tables were not loaded from the newest landing batches"
    published = state.read_state(build_db).get(state.PUBLISHED)
    if published != state.build_fingerprint(build_db, state.dbt_project_digest()):
        return False, "the dbt project or the loads changed since the mart was published"
    same, reason = kolada_client.unchanged_since(kolada_batch, kpi_ids, years)
    if not same:
        return False, f"Kolada: {reason}"
    for spec in tables:
        failure, client = px_failures[spec.key], pxweb_client(spec.source)
        if failure is None:
            if not table_unchanged(client, spec, px_landings[spec.key]):
                return False, f"{spec.source}: table {spec.table} has a new `updated` stamp or selection"
            continue
        try:  # a table that failed before: unchanged while it fails the same way
            build_selection(spec, client.metadata(spec.table)[0])
        except SourceError as exc:
            if str(exc) == failure["reason"]:
                continue
        return False, f"{spec.source}: table {spec.table} answers otherwise than when it failed"
    return True, f"Kolada: {reason}; {len(tables)} PxWeb tables unchanged; build inputs as published"
