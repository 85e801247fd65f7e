-- Each municipality and county value beside its county's and Sweden's value (and, for a
-- municipality, the unweighted mean of its SKR kommungrupp) for the same indicator, period,
-- sex and age group. A missing value stays NULL; so do the differences it enters. Differences
-- and means are rounded to 6 decimals (no binary noise such as 76.50999999999999).
-- Verdicts (macro significance): better / worse only when the benchmark lies outside the
-- area's 95 % interval, similar inside it, not_compared without an interval. A count is
-- compared on its rate per 1,000 and Byar's interval of it, never on the headcount
-- (compared_on); the differences and the kommungrupp mean are then per 1,000 too.
with facts as (
    select
        f.indicator_id,
        f.region_code,
        f.period_start,
        f.period_end,
        f.sex,
        f.age_group,
        f.value,
        f.ci_low,
        f.ci_high,
        f.denominator,
        f.ci_method,
        f.rate_per_1000,
        f.rate_ci_low,
        f.rate_ci_high,
        f.status,
        f.source,
        f.source_ref,
        f.status_label,
        f.is_latest,
        coalesce(i.unit = 'count', false) as is_count,
        {{ compared_measure('f', 'i') }}
    from {{ ref('fct_indicator_value') }} as f
    left join {{ ref('dim_indicator') }} as i
        on i.indicator_id = f.indicator_id
),

regions as (
    select * from {{ ref('dim_region') }}
),

kommungrupp_means as (
    select
        f.indicator_id,
        r.kommungrupp_code,
        f.period_start,
        f.period_end,
        f.sex,
        f.age_group,
        round(avg(f.m), 6) as kommungrupp_mean,
        count(f.m) as kommungrupp_n
    from facts as f
    inner join regions as r
        on r.region_code = f.region_code
    where r.region_level = 'municipality'
        and r.kommungrupp_code is not null
    group by all
)

select
    f.indicator_id,
    i.title as indicator_title,
    i.protective_factor,
    i.unit,
    i.higher_is_better,
    f.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    r.county_name,
    r.kommungrupp_code,
    r.kommungrupp,
    f.period_start,
    f.period_end,
    {{ period_label('f.period_start', 'f.period_end') }} as period_label,
    f.sex,
    f.age_group,
    f.value,
    f.ci_low,
    f.ci_high,
    f.ci_method,
    f.denominator,
    f.status,
    case when not f.is_count then 'value' when f.rate_per_1000 is not null then 'rate_per_1000' end as compared_on,
    f.rate_per_1000,
    f.rate_ci_low,
    f.rate_ci_high,
    c.value as county_value,
    c.status as county_status,
    c.rate_per_1000 as county_rate_per_1000,
    round(f.m - c.m, 6) as diff_county,
    {{ significance('f.value', 'f.m_low', 'f.m_high', 'c.m', 'i.higher_is_better') }} as vs_county,
    s.value as sweden_value,
    s.status as sweden_status,
    s.rate_per_1000 as sweden_rate_per_1000,
    round(f.m - s.m, 6) as diff_sweden,
    {{ significance('f.value', 'f.m_low', 'f.m_high', 's.m', 'i.higher_is_better') }} as vs_sweden,
    g.kommungrupp_mean,
    g.kommungrupp_n,
    round(f.m - g.kommungrupp_mean, 6) as diff_kommungrupp,
    {{ significance('f.value', 'f.m_low', 'f.m_high', 'g.kommungrupp_mean', 'i.higher_is_better') }} as vs_kommungrupp,
    f.source,
    f.source_ref,
    {{ sex_label('f.sex', 'i.adult_measure') }} as sex_label,
    i.protective_factor_label,
    f.status_label,
    {{ period_date('f.period_end') }} as period_date,
    f.is_latest
from facts as f
inner join regions as r
    on r.region_code = f.region_code
    and r.region_level in ('municipality', 'county')
inner join {{ ref('dim_indicator') }} as i
    on i.indicator_id = f.indicator_id
left join facts as c
    on c.indicator_id = f.indicator_id
    and c.region_code = r.county_code
    and c.period_start = f.period_start
    and c.period_end = f.period_end
    and c.sex = f.sex
    and c.age_group = f.age_group
left join facts as s
    on s.indicator_id = f.indicator_id
    and s.region_code = '00'
    and s.period_start = f.period_start
    and s.period_end = f.period_end
    and s.sex = f.sex
    and s.age_group = f.age_group
left join kommungrupp_means as g
    on g.indicator_id = f.indicator_id
    and g.kommungrupp_code = r.kommungrupp_code
    and g.period_start = f.period_start
    and g.period_end = f.period_end
    and g.sex = f.sex
    and g.age_group = f.age_group
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, f.region_code, f.indicator_id, f.period_start, f.period_end, f.sex, f.age_group
