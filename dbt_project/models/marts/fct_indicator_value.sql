select
    v.indicator_id,
    v.region_code,
    v.period_start,
    v.period_end,
    v.sex,
    v.age_group,
    v.value,
    v.ci_low,
    v.ci_high,
    v.n,
    v.status,
    d.population as rate_population,
    case
        when v.value is not null and d.population > 0 then round(1000.0 * v.value / d.population, 3)
    end as rate_per_1000,
    v.source,
    v.source_ref,
    v.fetched_at,
    v.request_url,
    v.body_sha256,
    v.source_marker,
    {{ sex_label('v.sex', 'a.indicator_id is not null') }} as sex_label,
    st.label_sv as status_label,
    {{ period_date('v.period_end') }} as period_date,
    coalesce(v.period_start = lt.period_start and v.period_end = lt.period_end, false) as is_latest
from {{ ref('int_indicator_values') }} as v
left join {{ ref('int_indicator_denominators') }} as d
    on d.indicator_id = v.indicator_id
    and d.region_code = v.region_code
    and d.year = v.period_end
    and d.sex = v.sex
left join {{ ref('adult_indicators') }} as a
    on a.indicator_id = v.indicator_id
left join {{ ref('statuses') }} as st
    on st.status = v.status
left join (
    -- the newest period in which the indicator (of that age group) has a value for any region
    select indicator_id, age_group, period_start, period_end
    from {{ ref('int_indicator_values') }}
    where value is not null
    qualify row_number() over (
        partition by indicator_id, age_group order by period_end desc, period_start desc
    ) = 1
) as lt
    on lt.indicator_id = v.indicator_id
    and lt.age_group = v.age_group
