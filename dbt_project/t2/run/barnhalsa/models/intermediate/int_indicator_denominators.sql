
  
  create view "build"."main"."int_indicator_denominators__dbt_tmp" as (
    -- Population of the ages an indicator rests on, per region, year and sex: for a count, the
-- ages of its rate per 1,000 (catalogue column rate_ages, e.g. '0-20'); for a share of a
-- population group, the ages of that group (denominator_ages, e.g. '15-15' for pupils in
-- åk 9), the n of its Wilson interval.
with rated as (
    select
        indicator_id,
        cast(split_part(coalesce(rate_ages, denominator_ages), '-', 1) as integer) as age_from,
        cast(split_part(coalesce(rate_ages, denominator_ages), '-', 2) as integer) as age_to
    from "build"."main"."indicators"
    where coalesce(rate_ages, denominator_ages) is not null
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
inner join "build"."main"."int_population" as p
    on p.age between rated.age_from and rated.age_to
group by rated.indicator_id, p.region_code, p.year, p.sex
  );
