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
    indicator_id,
    region_code,
    period_start,
    period_end,
    sex,
    age_group,
    value,
    case method
        when 'source' then ci_low
        when 'wilson' then 100 * {{ wilson_low('value / 100', 'population') }}
        when 'byar' then {{ byar_low('value') }}
    end as ci_low,
    case method
        when 'source' then ci_high
        when 'wilson' then 100 * {{ wilson_high('value / 100', 'population') }}
        when 'byar' then {{ byar_high('value') }}
    end as ci_high,
    n,
    status,
    case when rate_ages is not null then population end as rate_population,
    case
        when rate_ages is not null and value is not null and population > 0 then round(1000.0 * value / population, 3)
    end as rate_per_1000,
    case when method = 'byar' and population > 0 then 1000.0 * {{ byar_low('value') }} / population end as rate_ci_low,
    case when method = 'byar' and population > 0 then 1000.0 * {{ byar_high('value') }} / population end as rate_ci_high,
    cast(case method when 'source' then n when 'wilson' then population when 'byar' then population end as double) as denominator,
    method as ci_method,
    source,
    source_ref,
    fetched_at,
    request_url,
    body_sha256
from intervals
