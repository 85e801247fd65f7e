-- One row per series (indicator, region, sex, age group): its latest period, the change over
-- the latest 1, 3 and 5 periods (the value that many published periods earlier), and a trend
-- test over the latest 5 periods. Verdicts claim a difference only where it is significant
-- (README, Methods):
--   direction_k: better / worse only when the value k periods back lies outside the latest
--     value's 95 % interval (macro significance), unchanged inside it, not_compared when the
--     latest value has no interval;
--   trend: improving / worsening only when the test over the latest 5 periods (at least 3
--     points with an interval, overlapping pooled periods thinned out) is significant at 5 %: the chi-square test for trend
--     (Cochran-Armitage) where every point is a share with its denominator (Wilson), weighted
--     least squares with weights from the intervals otherwise (source intervals, whose
--     numerators are survey-weighted and not counts, and rates with Byar intervals);
--     no_significant_change otherwise; not_tested with fewer than 3 points with an interval.
-- A count is read on its rate per 1,000 (its change too), never on the headcount. NULL when a
-- value or the direction is unknown (context indicators): nothing is imputed.
{%- set steps = [1, 3, 5] %}
with facts as (
    select
        f.indicator_id,
        f.region_code,
        f.sex,
        f.age_group,
        f.period_start,
        f.period_end,
        f.value,
        f.ci_low,
        f.ci_high,
        f.ci_method,
        f.denominator,
        f.status,
        f.status_label,
        {{ compared_measure('f', 'i') }}
    from {{ ref('fct_indicator_value') }} as f
    left join {{ ref('dim_indicator') }} as i
        on i.indicator_id = f.indicator_id
),

series as (
    select
        *,
        {%- for k in steps %}
        lag(period_start, {{ k }}) over w as base_start_{{ k }},
        lag(period_end, {{ k }}) over w as base_end_{{ k }},
        lag(value, {{ k }}) over w as base_value_{{ k }},
        lag(m, {{ k }}) over w as base_m_{{ k }},
        lag(status, {{ k }}) over w as base_status_{{ k }},
        {%- endfor %}
        lag(period_end) over w as previous_end,
        count(*) over (partition by indicator_id, region_code, sex, age_group) as n_periods,
        row_number() over (
            partition by indicator_id, region_code, sex, age_group
            order by period_start desc, period_end desc
        ) as recency
    from facts
    window w as (partition by indicator_id, region_code, sex, age_group order by period_start, period_end)
),

-- a series of overlapping pooled periods (Folkhälsodata HLV: 2015-2018, 2016-2019, …) shares
-- respondents between neighbouring points; the test takes only every span-th of them (the
-- latest, then the one that ends before it starts), so its points do not overlap
spacing as (
    select
        *,
        bool_or(period_start <= previous_end) over s as overlapping,
        max(period_end - period_start + 1) over s as span
    from series
    window s as (partition by indicator_id, region_code, sex, age_group)
),

-- the points the trend test uses: the latest 5 periods, those with a value and an interval
-- (and not overlapping); t = 1 … 5 in time order (the latest period is 5), y the measure,
-- w = 1 / se², se from the interval's width; r and n the numerator and denominator of a share
-- with a Wilson interval
points as (
    select
        indicator_id,
        region_code,
        sex,
        age_group,
        period_start,
        period_end,
        6 - recency as t,
        m as y,
        1 / ((m_high - m_low) / (2 * 1.96))^2 as w,
        ci_method = 'wilson' and denominator > 0 as has_counts,
        m / 100 * denominator as r,
        denominator as n
    from spacing
    where recency <= 5
        and (not overlapping or (recency - 1) % span = 0)
        and m is not null
        and m_low is not null
        and m_high > m_low
),

tests as (
    select
        indicator_id,
        region_code,
        sex,
        age_group,
        count(*) as trend_points,
        min(period_start) as first_start,
        arg_min(period_end, period_start) as first_end,
        max(period_end) as last_end,
        arg_max(period_start, period_end) as last_start,
        bool_and(has_counts) as all_counts,
        {{ chi_square_trend_z('t', 'r', 'n') }} as chi_z,
        {{ wls_trend_z('t', 'y', 'w') }} as wls_z
    from points
    group by indicator_id, region_code, sex, age_group
)

select
    s.indicator_id,
    i.title as indicator_title,
    i.protective_factor,
    i.unit,
    i.higher_is_better,
    s.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    s.sex,
    s.age_group,
    s.n_periods,
    s.period_start as latest_period_start,
    s.period_end as latest_period_end,
    {{ period_label('s.period_start', 's.period_end') }} as latest_period_label,
    s.value as latest_value,
    s.ci_low as latest_ci_low,
    s.ci_high as latest_ci_high,
    s.ci_method as latest_ci_method,
    s.status as latest_status,
    case when coalesce(i.unit, '') <> 'count' then 'value' when s.m is not null then 'rate_per_1000' end as compared_on,
    s.status_label as latest_status_label,
    {{ sex_label('s.sex', 'i.adult_measure') }} as sex_label,
    i.protective_factor_label,
    {{ period_date('s.period_end') }} as latest_period_date,
    {%- for k in steps %}
    case when s.base_start_{{ k }} is not null then
        {{ period_label('s.base_start_' ~ k, 's.base_end_' ~ k) }}
    end as base_period_{{ k }},
    s.base_value_{{ k }},
    s.base_status_{{ k }},
    round(s.m - s.base_m_{{ k }}, 6) as change_{{ k }},
    {{ significance('s.value', 's.m_low', 's.m_high', 's.base_m_' ~ k, 'i.higher_is_better',
                    same='unchanged') }} as direction_{{ k }},
    {%- endfor %}
    coalesce(t.trend_points, 0) as trend_points,
    case when t.trend_points >= 3 then {{ period_label('t.first_start', 't.first_end') }} end as trend_first_period,
    case when t.trend_points >= 3 then {{ period_label('t.last_start', 't.last_end') }} end as trend_last_period,
    case
        when t.trend_points >= 3 and t.all_counts then 'chi_square_trend'
        when t.trend_points >= 3 then 'wls'
    end as trend_method,
    case
        when t.trend_points >= 3 and t.all_counts then round(t.chi_z, 4)
        when t.trend_points >= 3 then round(t.wls_z, 4)
    end as trend_z,
    case
        when i.higher_is_better is null then null
        when coalesce(t.trend_points, 0) < 3 then 'not_tested'
        when abs(case when t.all_counts then t.chi_z else t.wls_z end) > 1.96 then
            case when (case when t.all_counts then t.chi_z else t.wls_z end > 0) = i.higher_is_better
                then 'improving' else 'worsening' end
        else 'no_significant_change'
    end as trend
from series as s
inner join {{ ref('dim_indicator') }} as i
    on i.indicator_id = s.indicator_id
inner join {{ ref('dim_region') }} as r
    on r.region_code = s.region_code
left join tests as t
    on t.indicator_id = s.indicator_id
    and t.region_code = s.region_code
    and t.sex = s.sex
    and t.age_group = s.age_group
where s.recency = 1
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, s.region_code, s.indicator_id, s.sex, s.age_group
