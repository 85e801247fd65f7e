"""The privacy rule for survey values, checked on the built mart before anything is published."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.codes import MIN_RESPONDENTS

# Survey rows that could identify a small group, checked on the built mart with the margins of the
# rule in int_survey_values (its outcome, not its steps). A block is one indicator, region and
# period. A margin is a set of cells whose n-weighted values sum to a total: the sexes of one age
# group (female, male, total), and, where the block has an age_group 'total', the age groups of
# one sex. A hidden cell (suppressed, with respondents) follows from the shown cells and their n
# when it is the only hidden cell of a margin that shows any cell; likewise when the margin shows
# none but leaves out a cell of the block's grid (a sex and age group the block has elsewhere,
# taken as known) while the block shows cells elsewhere.
VIOLATIONS = """
with survey as (
    select
        *,
        status = 'suppressed' and coalesce(n > 0, false) as hides,
        count(distinct sex) over block as block_sexes,
        count(distinct age_group) over block as block_ages,
        bool_or(sex = 'total') over block as has_sex_total,
        bool_or(age_group = 'total') over block as has_age_margins,
        bool_or(status <> 'suppressed') over block as block_shows
    from mart.fct_indicator_value
    where source like 'survey:%'
    window block as (partition by indicator_id, region_code, period_start, period_end)
),
margins as (
    select
        *,
        count(*) filter (where hides) over sexes as hidden_among_sexes,
        count(*) filter (where status <> 'suppressed') over sexes as shown_among_sexes,
        count(*) over sexes < block_sexes and has_sex_total as hole_among_sexes,
        count(*) filter (where hides) over ages as hidden_among_ages,
        count(*) filter (where status <> 'suppressed') over ages as shown_among_ages,
        count(*) over ages < block_ages as hole_among_ages
    from survey
    window
        sexes as (partition by indicator_id, region_code, period_start, period_end, age_group),
        ages as (partition by indicator_id, region_code, period_start, period_end, sex)
),
judged as (
    select
        *,
        case
            when value is not null and (n is null or n < $min_respondents)
                then 'shown on fewer than ' || $min_respondents || ' respondents'
            when value is not null and status = 'suppressed' then 'suppressed but its value is shown'
            when hides and hidden_among_sexes = 1
                and (shown_among_sexes > 0 or (hole_among_sexes and block_shows))
                then 'the only hidden cell among its sexes: it follows from the shown cells and their n'
            when hides and has_age_margins and hidden_among_ages = 1
                and (shown_among_ages > 0 or (hole_among_ages and block_shows))
                then 'the only hidden cell among its age groups: it follows from the shown cells and their n'
        end as reason
    from margins
)
select source, indicator_id, region_code, period_start, sex, age_group, n, value, reason
from judged
where reason is not null
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
        violations = con.execute(VIOLATIONS, {"min_respondents": MIN_RESPONDENTS}).fetchall()
    return PrivacyReport(counts, violations)
