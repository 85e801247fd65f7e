"""Landing the drop folder's files as a batch, replaying a batch, and the raw rows it gives."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ingest.landing import CompleteBatch, LandedBody, Landing
from ingest.surveys.drop import ParsedSurvey, parse_drop_folder
from ingest.surveys.regions import RegionIndex
from ingest.surveys.spec import find_specs

# --------------------------------------------------------------------------- landing and replay

KIND_SPEC = "survey_spec"
KIND_FILE = "survey_file"


def drop_digest(parsed: Sequence[ParsedSurvey]) -> str:
    """One digest of every spec and file in the drop folder: equal digests, nothing changed."""
    return _digest((p.spec.path.name, p.spec_sha256, p.spec.file.name, p.file_sha256) for p in parsed)


def folder_digest(drop_dir: Path) -> str | None:
    """``drop_digest`` of the drop folder as it is now, without checking a row; None when a spec
    cannot be read (a run will report it)."""
    entries = []
    for spec in find_specs(drop_dir):
        try:
            file_name = str((yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("file") or "")
            data = (drop_dir / file_name).read_bytes()
        except (OSError, yaml.YAMLError, UnicodeDecodeError, AttributeError):
            return None
        entries.append((spec.name, _sha256(spec.read_bytes()), Path(file_name).name, _sha256(data)))
    return _digest(entries)


def _digest(entries: Iterable[tuple[str, str, str, str]]) -> str:
    """The digest of (spec name, spec sha256, file name, file sha256) entries, in any order."""
    return _sha256("\n".join(sorted(":".join(entry) for entry in entries)).encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def land(parsed: Sequence[ParsedSurvey], landing: Landing) -> Path | None:
    """Copy every spec and result file into a new landing batch, unless nothing changed.

    Returns the new batch's path, or None when the newest batch already holds these files.
    """
    digest = drop_digest(parsed)
    previous = landing.latest_or_none()
    if previous is not None and previous.info().get("digest") == digest:
        return None
    batch = landing.start_batch()
    try:
        for survey in parsed:
            now = datetime.now(UTC)
            for kind, path in ((KIND_SPEC, survey.spec.path), (KIND_FILE, survey.spec.file)):
                batch.write(
                    kind=kind,
                    method="FILE",
                    url=path.resolve().as_uri(),
                    request_body=None,
                    status=200,
                    body=path.read_bytes(),
                    fetched_at=now,
                    suffix=path.suffix.lower(),
                )
        info = {
            "digest": digest,
            "surveys": [
                {"survey": p.spec.name, "file": p.spec.file.name, "rows": len(p.rows)} for p in parsed
            ],
        }
        return batch.commit(info)
    except BaseException:
        batch.abort()
        raise


def replay(
    batch: CompleteBatch, regions: RegionIndex, catalogue_ids: Iterable[str] = ()
) -> tuple[list[ParsedSurvey], dict[str, LandedBody]]:
    """Parse a landing batch again (no drop folder needed): the surveys and each file's record."""
    records = {Path(unquote(urlsplit(r.url).path)).name: r for r in batch.records()}
    with tempfile.TemporaryDirectory(prefix="barnhalsa-surveys-") as tmp:
        for name, record in records.items():
            (Path(tmp) / name).write_bytes(batch.read(record))
        specs = [Path(tmp) / name for name, r in records.items() if r.kind == KIND_SPEC]
        parsed = parse_drop_folder(sorted(specs), regions, catalogue_ids)
    return parsed, records


def raw_rows(parsed: Sequence[ParsedSurvey], records: dict[str, LandedBody]) -> list[dict[str, Any]]:
    """Tidy rows with their survey, thresholds and lineage (file URL and row, landing time, sha256)."""
    rows = []
    for survey in parsed:
        spec, record = survey.spec, records[survey.spec.file.name]
        for row in survey.rows:
            rows.append(
                {
                    **row,
                    "survey": spec.name,
                    "source": spec.source,
                    "source_ref": spec.file.name,
                    "min_respondents": spec.min_respondents,
                    "min_response_rate": spec.min_response_rate,
                    "low_precision_below": spec.low_precision_below,
                    "request_url": f"{record.url}#row={row['file_row']}",
                    "fetched_at": record.fetched_at,
                    "body_sha256": record.sha256,
                }
            )
    return rows


def indicator_rows(parsed: Sequence[ParsedSurvey]) -> list[dict[str, Any]]:
    """The surveys' indicators as catalogue lines (dim_indicator takes them beside the catalogue)."""
    rows = {
        i.indicator_id: {
            "indicator_id": i.indicator_id,
            "title": i.title,
            "protective_factor": i.protective_factor,
            "source": p.spec.source,
            "source_ref": i.question,
            "unit": i.unit,
            "higher_is_better": i.higher_is_better,
            "cadence_years": p.spec.cadence_years,
            "source_title": p.spec.title,
        }
        for p in parsed
        for i in p.spec.indicators.values()
    }
    return list(rows.values())  # waves of one survey declare the same indicators
