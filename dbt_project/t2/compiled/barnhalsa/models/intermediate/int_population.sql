-- SCB population by region, year, age and sex, plus sex = 'total' (women + men).
with by_sex as (
    select
        region_code,
        year,
        age,
        sex,
        population,
        case
        when marker = '..' then 'not_available'
        when marker = '.' then 'not_applicable'
        when marker in ('...', '…') then 'not_yet_available'
        when marker = '-' then 'magnitude_zero'
        when population is null then 'missing'
        else 'ok'
    end as status,
        source_ref,
        fetched_at,
        request_url,
        body_sha256
    from "build"."main"."stg_scb__population"
),

total as (
    select
        region_code,
        year,
        age,
        'total' as sex,
        -- a total is only known when both sexes are
        case when count(population) = 2 then cast(sum(population) as bigint) end as population,
        case when count(population) = 2 then 'ok' else 'missing' end as status,
        min(source_ref) as source_ref,
        max(fetched_at) as fetched_at,
        -- both bodies the total was summed from (one when a call carried both sexes)
        string_agg(distinct request_url, ' ' order by request_url) as request_url,
        string_agg(distinct body_sha256, ' ' order by body_sha256) as body_sha256
    from by_sex
    group by region_code, year, age
)

select * from by_sex
union all
select * from total