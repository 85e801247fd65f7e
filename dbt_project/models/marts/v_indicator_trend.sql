-- One row per series (indicator, region, sex, age group): its latest period and the change
-- over the latest 1, 3 and 5 periods (the value that many published periods earlier), with a
-- direction that respects higher_is_better. "unchanged" when both values carry confidence
-- intervals that overlap, or when the values are equal. NULL when a value or the direction is
-- unknown: nothing is imputed.
{%- set steps = [1, 3, 5] %}
with series as (
    select
        indicator_id,
        region_code,
        sex,
        age_group,
        period_start,
        period_end,
        value,
        ci_low,
        ci_high,
        status,
        status_label,
        {%- for k in steps %}
        lag(period_start, {{ k }}) over w as base_start_{{ k }},
        lag(period_end, {{ k }}) over w as base_end_{{ k }},
        lag(value, {{ k }}) over w as base_value_{{ k }},
        lag(ci_low, {{ k }}) over w as base_ci_low_{{ k }},
        lag(ci_high, {{ k }}) over w as base_ci_high_{{ k }},
        lag(status, {{ k }}) over w as base_status_{{ k }},
        {%- endfor %}
        count(*) over (partition by indicator_id, region_code, sex, age_group) as n_periods,
        row_number() over (
            partition by indicator_id, region_code, sex, age_group
            order by period_start desc, period_end desc
        ) as recency
    from {{ ref('fct_indicator_value') }}
    window w as (partition by indicator_id, region_code, sex, age_group order by period_start, period_end)
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
    s.status as latest_status,
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
    round(s.value - s.base_value_{{ k }}, 6) as change_{{ k }},
    {{ direction('s.value', 's.ci_low', 's.ci_high', 's.base_value_' ~ k, 's.base_ci_low_' ~ k,
                 's.base_ci_high_' ~ k, 'i.higher_is_better') }} as direction_{{ k }}{{ "," if not loop.last }}
    {%- endfor %}
from series as s
inner join {{ ref('dim_indicator') }} as i
    on i.indicator_id = s.indicator_id
inner join {{ ref('dim_region') }} as r
    on r.region_code = s.region_code
where s.recency = 1
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, s.region_code, s.indicator_id, s.sex, s.age_group
