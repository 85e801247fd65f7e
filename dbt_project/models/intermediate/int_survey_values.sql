-- Survey results with the mart's privacy rule applied, whatever the file says:
--   suppressed:    fewer respondents than the survey's threshold (never below 10), or a response
--                  rate under its threshold (never below 50 %) where the file gives n asked;
--   complementary: when one sex is suppressed the other is too (and both when the total is), so no
--                  suppressed value can be recovered from the total and the other sex;
--   low_precision: a value shown on fewer respondents than low_precision_below (never below 30).
-- A suppressed cell keeps n but loses value and CI.
with cells as (
    select
        *,
        -- never NULL: a cell without n is suppressed, one without n asked is judged on n alone
        coalesce(n < greatest(min_respondents, 10), true)
        or coalesce(n_asked > 0 and 100.0 * n / n_asked < greatest(min_response_rate, 50.0), false) as too_few
    from {{ ref('stg_survey__values') }}
),

groups as (
    select
        *,
        -- any suppressed cell among this group's sexes (total, female, male)
        bool_or(too_few) over (
            partition by indicator_id, region_code, period_start, period_end, age_group
        ) as group_has_suppressed
    from cells
),

ruled as (
    select
        *,
        too_few or (sex in ('female', 'male') and group_has_suppressed) as suppressed
    from groups
)

select
    indicator_id,
    region_code,
    period_start,
    period_end,
    sex,
    age_group,
    case when not suppressed then value end as value,
    case when not suppressed then ci_low end as ci_low,
    case when not suppressed then ci_high end as ci_high,
    n,
    case
        when suppressed then 'suppressed'
        when value is null then 'missing'
        when n < greatest(low_precision_below, 30) then 'low_precision'
        else 'ok'
    end as status,
    source,
    source_ref,
    request_url,
    fetched_at,
    body_sha256
from ruled
