select
    v.indicator_id,
    v.region_code,
    v.period_start,
    v.period_end,
    v.sex,
    v.age_group,
    -- the series' ages in Swedish; for 'total', the ages the indicator is about (catalogue)
    coalesce({{ age_group_label('v.age_group') }}, i.age_label) as age_label,
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
    v.body_sha256
from {{ ref('int_indicator_values') }} as v
left join {{ ref('dim_indicator') }} as i
    on i.indicator_id = v.indicator_id
left join {{ ref('int_indicator_denominators') }} as d
    on d.indicator_id = v.indicator_id
    and d.region_code = v.region_code
    and d.year = v.period_end
    and d.sex = v.sex
