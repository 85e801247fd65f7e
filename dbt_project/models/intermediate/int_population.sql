-- SCB population by region, year, age and sex, plus sex = 'total' (women + men).
with by_sex as (
    select region_code, year, age, sex, population, fetched_at
    from {{ ref('stg_scb__population') }}
),

total as (
    select
        region_code,
        year,
        age,
        'total' as sex,
        -- a total is only known when both sexes are
        case when count(population) = 2 then cast(sum(population) as bigint) end as population,
        max(fetched_at) as fetched_at
    from by_sex
    group by region_code, year, age
)

select * from by_sex
union all
select * from total
