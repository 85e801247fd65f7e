-- Population of the ages a count indicator refers to (catalogue column rate_ages, e.g. '0-20'),
-- per region, year and sex: the denominator of its rate per 1,000.
with rated as (
    select
        indicator_id,
        cast(split_part(rate_ages, '-', 1) as integer) as age_from,
        cast(split_part(rate_ages, '-', 2) as integer) as age_to
    from {{ ref('indicators') }}
    where rate_ages is not null
)

select
    rated.indicator_id,
    p.region_code,
    p.year,
    p.sex,
    -- NULL when any age in the band is unknown, or when SCB lacks an age of the band
    case
        when count(p.population) = max(rated.age_to) - max(rated.age_from) + 1 then cast(sum(p.population) as bigint)
    end as population
from rated
inner join {{ ref('int_population') }} as p
    on p.age between rated.age_from and rated.age_to
group by rated.indicator_id, p.region_code, p.year, p.sex
