"""Regional youth-survey result files: a declarative spec beside each file, validated whole.

An analyst drops a result file (CSV or XLSX) and a spec (``<name>.yml``) into the drop folder.
The spec says which column holds what and how the file's codes map to the mart's. Every row
is checked before anything is loaded; one bad row rejects the whole file, and every problem is
reported with file, row, column and reason. Only aggregated results are accepted: a file that
looks like microdata (one row per respondent) is rejected.

Suppression of small groups is a rule of the mart (dbt, ``int_survey_values``); this module
only checks that a spec's thresholds are not below the defaults and passes them on.

Modules, one job each: ``spec`` (the spec, a typed model read and checked), ``spec_problems``
(problems, the strict YAML reader, the model's errors as problems), ``regions`` (region names and
codes), ``reading`` (CSV and XLSX), ``rows`` (every row checked and shaped), ``drop`` (a whole
survey and the drop folder), ``batches`` (landing, replay, raw rows).
"""

from ingest.surveys.batches import (
    KIND_FILE,
    KIND_SPEC,
    drop_digest,
    folder_digest,
    indicator_rows,
    land,
    raw_rows,
    replay,
)
from ingest.surveys.drop import ParsedSurvey, parse_drop_folder, parse_survey, write_report
from ingest.surveys.reading import read_rows
from ingest.surveys.regions import County, RegionIndex, load_counties
from ingest.surveys.rows import age_group_of, validate
from ingest.surveys.spec import (
    CELL_KEY,
    ROLES_OPTIONAL,
    ROLES_REQUIRED,
    SOURCE_PREFIX,
    Problem,
    SurveyError,
    SurveyIndicator,
    SurveySpec,
    find_specs,
    load_spec,
)

__all__ = [
    "CELL_KEY", "KIND_FILE", "KIND_SPEC", "ROLES_OPTIONAL", "ROLES_REQUIRED", "SOURCE_PREFIX",
    "County", "ParsedSurvey", "Problem", "RegionIndex", "SurveyError", "SurveyIndicator",
    "SurveySpec", "age_group_of", "drop_digest", "find_specs", "folder_digest", "indicator_rows",
    "land", "load_counties", "load_spec", "parse_drop_folder", "parse_survey", "raw_rows",
    "read_rows", "replay", "validate", "write_report",
]  # fmt: skip
