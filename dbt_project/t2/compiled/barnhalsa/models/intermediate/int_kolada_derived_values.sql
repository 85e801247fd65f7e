-- County and Sweden values for the Kolada KPIs published for municipalities only (catalogue
-- municipality_type K, as Kolada's own metadata says): the mean of the municipalities' values
-- weighted by SCB's population of the indicator's ages (catalogue `ages`) and sex in that year,
-- status 'derived'. Made only where the municipalities with a value hold at least
-- var('derived_min_coverage') (80 %) of that population of the county (or of Sweden), and only
-- where Kolada has no row of its own (no value, no flag): a derived value never stands in for
-- anything Kolada published.
with derivable as (
    select
        indicator_id,
        source_ref,
        cast(split_part(ages, '-', 1) as integer) as age_from,
        cast(split_part(ages, '-', 2) as integer) as age_to
    from "build"."main"."indicators"
    where source = 'kolada'
        and municipality_type = 'K'
        and ages is not null
        and unit <> 'count'  -- a count sums, it is not averaged
),

municipalities as (
    select region_code, county_code
    from "build"."main"."int_regions"
    where region_level = 'municipality'
),

-- each value year's population year: the newest at or before it (SCB publishes later than Kolada)
population_year as (
    select v.period_end, max(p.year) as year
    from (select distinct period_end from "build"."main"."int_kolada_values") as v
    inner join (select distinct year from "build"."main"."int_population" where population is not null) as p
        on p.year <= v.period_end
    group by v.period_end
),

weights as (
    select
        derivable.indicator_id,
        p.region_code,
        p.year,
        p.sex,
        case
            when count(p.population) = max(derivable.age_to) - max(derivable.age_from) + 1
                then sum(p.population)
        end as population
    from derivable
    inner join "build"."main"."int_population" as p
        on p.age between derivable.age_from and derivable.age_to
    inner join municipalities as m
        on m.region_code = p.region_code
    group by derivable.indicator_id, p.region_code, p.year, p.sex
),

values_with_weight as (
    select
        v.indicator_id,
        v.source_ref,
        v.region_code,
        m.county_code,
        v.period_end,
        v.sex,
        v.value,
        v.request_url,
        v.fetched_at,
        w.population
    from "build"."main"."int_kolada_values" as v
    inner join derivable
        on derivable.indicator_id = v.indicator_id
    inner join municipalities as m
        on m.region_code = v.region_code
    left join population_year as y
        on y.period_end = v.period_end
    left join weights as w
        on w.indicator_id = v.indicator_id
        and w.region_code = v.region_code
        and w.sex = v.sex
        and w.year = y.year
),

-- the whole population of those ages per county and Sweden: the base of the 80 % rule, also
-- counting municipalities Kolada gave no row at all
area_population as (
    select w.indicator_id, y.period_end, w.sex, m.county_code as area_code, sum(w.population) as population
    from weights as w
    inner join municipalities as m on m.region_code = w.region_code
    inner join population_year as y on y.year = w.year
    group by all
    union all
    select w.indicator_id, y.period_end, w.sex, '00' as area_code, sum(w.population) as population
    from weights as w
    inner join population_year as y on y.year = w.year
    group by all
),

-- every area twice: its county, and Sweden ('00')
areas as (
    select county_code as area_code, * exclude (county_code) from values_with_weight
    union all
    select '00' as area_code, * exclude (county_code) from values_with_weight
),

aggregated as (
    select
        indicator_id,
        source_ref,
        area_code as region_code,
        period_end,
        sex,
        sum(value * population) filter (where value is not null) as weighted_sum,
        sum(population) filter (where value is not null) as population_with_value,
        count(*) filter (where population is null and value is not null) as municipalities_without_weight,
        count(*) filter (where value is not null) as municipalities_with_value,
        string_agg(distinct request_url, ' ' order by request_url) as request_url,
        max(fetched_at) as fetched_at
    from areas
    group by indicator_id, source_ref, area_code, period_end, sex
),

published as (
    select indicator_id, region_code, period_end, sex
    from "build"."main"."int_kolada_values"
)

select
    a.indicator_id,
    a.region_code,
    a.period_end as period_start,
    a.period_end,
    a.sex,
    'total' as age_group,
    round(a.weighted_sum / a.population_with_value, 4) as value,
    cast(null as double) as ci_low,
    cast(null as double) as ci_high,
    cast(null as double) as n,
    'derived' as status,
    'kolada' as source,
    a.source_ref,
    a.request_url,
    a.fetched_at,
    cast(null as varchar) as body_sha256,
    cast(null as varchar) as source_marker
from aggregated as a
inner join area_population as ap
    on ap.indicator_id = a.indicator_id
    and ap.period_end = a.period_end
    and ap.sex = a.sex
    and ap.area_code = a.region_code
-- every municipality with a value has a known weight, and they hold enough of the population
where a.municipalities_without_weight = 0
    and a.population_with_value > 0
    and a.population_with_value >= 0.8 * ap.population
    and not exists (
        select 1 from published as p
        where p.indicator_id = a.indicator_id
            and p.region_code = a.region_code
            and p.period_end = a.period_end
            and p.sex = a.sex
    )