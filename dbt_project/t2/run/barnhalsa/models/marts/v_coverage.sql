
    
      
    

    create  table
      "build"."mart"."v_coverage__dbt_tmp"
  
  (
    region_code varchar not null,
    region_name varchar,
    region_level varchar,
    county_code varchar,
    indicator_id varchar not null,
    indicator_title varchar,
    protective_factor varchar,
    source varchar,
    source_ref varchar,
    published_at_level boolean,
    n_periods_expected bigint,
    n_periods_with_value bigint,
    n_periods_missing bigint,
    first_period_start integer,
    last_period_end integer,
    periods_with_value varchar,
    periods_missing varchar,
    missing_statuses varchar,
    coverage varchar not null,
    protective_factor_label varchar
    
    )
 ;
    
    
    insert into "build"."mart"."v_coverage__dbt_tmp" 
  (
    
      
      
      region_code ,
    
      
      
      region_name ,
    
      
      
      region_level ,
    
      
      
      county_code ,
    
      
      
      indicator_id ,
    
      
      
      indicator_title ,
    
      
      
      protective_factor ,
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      published_at_level ,
    
      
      
      n_periods_expected ,
    
      
      
      n_periods_with_value ,
    
      
      
      n_periods_missing ,
    
      
      
      first_period_start ,
    
      
      
      last_period_end ,
    
      
      
      periods_with_value ,
    
      
      
      periods_missing ,
    
      
      
      missing_statuses ,
    
      
      
      coverage ,
    
      
      
      protective_factor_label 
    
  )
 (
      
    select region_code, region_name, region_level, county_code, indicator_id, indicator_title, protective_factor, source, source_ref, published_at_level, n_periods_expected, n_periods_with_value, n_periods_missing, first_period_start, last_period_end, periods_with_value, periods_missing, missing_statuses, coverage, protective_factor_label
    from (
        -- Which indicators each region has, for which periods, and which are missing: one row per
-- region and indicator. The periods an indicator is expected in are those in which the source
-- published a value for any region; a period is covered when the region has a value (any sex or
-- age group) in it. NULL values count as missing, with their status listed.
with facts_by_period as (
    select
        indicator_id,
        region_code,
        period_start,
        period_end,
        bool_or(value is not null) as has_value,
        string_agg(distinct status, ', ' order by status) filter (where value is null) as missing_status
    from "build"."mart"."fct_indicator_value"
    group by all
),

expected as (
    select distinct indicator_id, period_start, period_end
    from facts_by_period
    where has_value
),

regions as (
    select region_code, region_name, region_level, county_code
    from "build"."mart"."dim_region"
),

levels_published as (
    select distinct f.indicator_id, r.region_level
    from facts_by_period as f
    inner join regions as r
        on r.region_code = f.region_code
    where f.has_value
),

grid as (
    select
        r.region_code,
        e.indicator_id,
        e.period_start,
        e.period_end,
        case
        when e.period_end = e.period_start then cast(e.period_start as varchar)
        else cast(e.period_start as varchar) || '-' || cast(e.period_end as varchar)
    end as period_label,
        coalesce(f.has_value, false) as has_value,
        coalesce(f.missing_status, 'no_row') as missing_status
    from regions as r
    inner join expected as e
        on true
    left join facts_by_period as f
        on f.indicator_id = e.indicator_id
        and f.region_code = r.region_code
        and f.period_start = e.period_start
        and f.period_end = e.period_end
),

per_region as (
    select
        region_code,
        indicator_id,
        count(*) as n_periods_expected,
        count(*) filter (where has_value) as n_periods_with_value,
        min(period_start) filter (where has_value) as first_period_start,
        max(period_end) filter (where has_value) as last_period_end,
        string_agg(period_label, ', ' order by period_start, period_end) filter (where has_value)
            as periods_with_value,
        string_agg(period_label, ', ' order by period_start, period_end) filter (where not has_value)
            as periods_missing,
        string_agg(distinct missing_status, ', ' order by missing_status) filter (where not has_value)
            as missing_statuses
    from grid
    group by region_code, indicator_id
)

select
    r.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    i.indicator_id,
    i.title as indicator_title,
    i.protective_factor,
    i.source,
    i.source_ref,
    lp.indicator_id is not null as published_at_level,
    coalesce(p.n_periods_expected, 0) as n_periods_expected,
    coalesce(p.n_periods_with_value, 0) as n_periods_with_value,
    coalesce(p.n_periods_expected, 0) - coalesce(p.n_periods_with_value, 0) as n_periods_missing,
    p.first_period_start,
    p.last_period_end,
    p.periods_with_value,
    p.periods_missing,
    p.missing_statuses,
    case
        when coalesce(p.n_periods_with_value, 0) = 0 then 'missing'
        when p.n_periods_with_value = p.n_periods_expected then 'complete'
        else 'partial'
    end as coverage,
    i.protective_factor_label
from regions as r
cross join "build"."mart"."dim_indicator" as i
left join per_region as p
    on p.region_code = r.region_code
    and p.indicator_id = i.indicator_id
left join levels_published as lp
    on lp.indicator_id = i.indicator_id
    and lp.region_level = r.region_level
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, r.region_code, i.indicator_id
    ) as model_subq
    );
  