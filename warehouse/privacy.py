"""The privacy rule for survey values, checked on the built mart before anything is published."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MIN_RESPONDENTS = 10

# Survey rows whose value could identify a small group: shown on too few respondents, or shown
# beside a suppressed cell of the other sex (total - other sex would give it away).
VIOLATIONS = """
with survey as (
    select * from mart.fct_indicator_value where source like 'survey:%'
),
groups as (
    select
        *,
        bool_or(status = 'suppressed') over (
            partition by indicator_id, region_code, period_start, period_end, age_group
        ) as group_has_suppressed
    from survey
)
select source, indicator_id, region_code, period_start, sex, age_group, n, value
from groups
where value is not null
    and (n is null or n < ? or (sex in ('female', 'male') and group_has_suppressed))
order by all
"""

COUNTS = """
select source, count(*) as rows,
    count(*) filter (where status = 'suppressed') as suppressed,
    count(*) filter (where status = 'low_precision') as low_precision
from mart.fct_indicator_value
where source like 'survey:%'
group by source
order by source
"""


@dataclass
class PrivacyReport:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> rows, suppressed, ...
    violations: list[tuple] = field(default_factory=list)


def survey_privacy(build_db: Path) -> PrivacyReport:
    """Counts per survey and every row that breaks the rule (read-only)."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        counts = {
            source: {"rows": rows, "suppressed": suppressed, "low_precision": low}
            for source, rows, suppressed, low in con.execute(COUNTS).fetchall()
        }
        violations = con.execute(VIOLATIONS, [MIN_RESPONDENTS]).fetchall()
    return PrivacyReport(counts, violations)
