-- Every value with its 95 % confidence interval where one can honestly be given (see README,
-- Methods): the source's own interval (Folkhälsodata, surveys); for a share of a population
-- group (catalogue denominator_ages) the Wilson interval on SCB's population of those ages; for
-- a count with a rate (catalogue rate_ages) Byar's interval, on the count and on its rate per
-- 1,000. Indices, means, points and per-inhabitant figures without a count get none.
with catalogue as (
    select indicator_id, unit, rate_ages, denominator_ages
    from {{ ref('indicators') }}
),

joined as (
    select
        v.*,
        c.unit,
        c.rate_ages,
        c.denominator_ages,
        d.population
    from {{ ref('int_indicator_values') }} as v
    left join catalogue as c
        on c.indicator_id = v.indicator_id
    left join {{ ref('int_indicator_denominators') }} as d
        on d.indicator_id = v.indicator_id
        and d.region_code = v.region_code
        and d.year = v.period_end
        and d.sex = v.sex
),

intervals as (
    select
        *,
        case
            when ci_low is not null and ci_high is not null then 'source'
            when value is null then null
            when unit = 'percent' and denominator_ages is not null and population > 0
                and value between 0 and 100 then 'wilson'
            when unit = 'count' and rate_ages is not null and value >= 0 then 'byar'
        end as method
    from joined
)

select
    i.indicator_id,
    i.region_code,
    i.period_start,
    i.period_end,
    i.sex,
    i.age_group,
    -- the series' ages in Swedish; for 'total', the ages the indicator is about (catalogue)
    coalesce({{ age_group_label('i.age_group') }}, di.age_label) as age_label,
    i.value,
    case i.method
        when 'source' then i.ci_low
        when 'wilson' then 100 * {{ wilson_low('i.value / 100', 'i.population') }}
        when 'byar' then {{ byar_low('i.value') }}
    end as ci_low,
    case i.method
        when 'source' then i.ci_high
        when 'wilson' then 100 * {{ wilson_high('i.value / 100', 'i.population') }}
        when 'byar' then {{ byar_high('i.value') }}
    end as ci_high,
    i.n,
    i.status,
    case when i.rate_ages is not null then i.population end as rate_population,
    case
        when i.rate_ages is not null and i.value is not null and i.population > 0 then round(1000.0 * i.value / i.population, 3)
    end as rate_per_1000,
    case when i.method = 'byar' and i.population > 0 then 1000.0 * {{ byar_low('i.value') }} / i.population end as rate_ci_low,
    case when i.method = 'byar' and i.population > 0 then 1000.0 * {{ byar_high('i.value') }} / i.population end as rate_ci_high,
    cast(case i.method when 'source' then i.n when 'wilson' then i.population when 'byar' then i.population end as double) as denominator,
    i.method as ci_method,
    i.source,
    i.source_ref,
    i.fetched_at,
    i.request_url,
    i.body_sha256,
    i.source_marker,
    {{ sex_label('i.sex', 'a.indicator_id is not null') }} as sex_label,
    st.label_sv as status_label,
    {{ period_date('i.period_end') }} as period_date,
    coalesce(i.period_start = lt.period_start and i.period_end = lt.period_end, false) as is_latest
from intervals as i
left join {{ ref('dim_indicator') }} as di
    on di.indicator_id = i.indicator_id
left join {{ ref('adult_indicators') }} as a
    on a.indicator_id = i.indicator_id
left join {{ ref('statuses') }} as st
    on st.status = i.status
left join (
    -- the newest period in which the indicator (of that age group) has a value for any region
    select indicator_id, age_group, period_start, period_end
    from {{ ref('int_indicator_values') }}
    where value is not null
    qualify row_number() over (
        partition by indicator_id, age_group order by period_end desc, period_start desc
    ) = 1
) as lt
    on lt.indicator_id = i.indicator_id
    and lt.age_group = i.age_group
