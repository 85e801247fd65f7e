
    
      
    

    create  table
      "build"."mart"."v_indicator_comparison__dbt_tmp"
  
  (
    indicator_id varchar not null,
    indicator_title varchar,
    protective_factor varchar,
    unit varchar,
    higher_is_better boolean,
    region_code varchar not null,
    region_name varchar,
    region_level varchar,
    county_code varchar,
    county_name varchar,
    kommungrupp_code varchar,
    kommungrupp varchar,
    period_start integer not null,
    period_end integer not null,
    period_label varchar,
    sex varchar not null,
    age_group varchar not null,
    value double,
    ci_low double,
    ci_high double,
    ci_method varchar,
    denominator double,
    status varchar not null,
    compared_on varchar,
    rate_per_1000 double,
    rate_ci_low double,
    rate_ci_high double,
    county_value double,
    county_status varchar,
    county_rate_per_1000 double,
    diff_county double,
    vs_county varchar,
    sweden_value double,
    sweden_status varchar,
    sweden_rate_per_1000 double,
    diff_sweden double,
    vs_sweden varchar,
    kommungrupp_mean double,
    kommungrupp_n bigint,
    diff_kommungrupp double,
    vs_kommungrupp varchar,
    source varchar,
    source_ref varchar,
    sex_label varchar,
    protective_factor_label varchar,
    status_label varchar,
    period_date date,
    is_latest boolean
    
    )
 ;
    
    
    insert into "build"."mart"."v_indicator_comparison__dbt_tmp" 
  (
    
      
      
      indicator_id ,
    
      
      
      indicator_title ,
    
      
      
      protective_factor ,
    
      
      
      unit ,
    
      
      
      higher_is_better ,
    
      
      
      region_code ,
    
      
      
      region_name ,
    
      
      
      region_level ,
    
      
      
      county_code ,
    
      
      
      county_name ,
    
      
      
      kommungrupp_code ,
    
      
      
      kommungrupp ,
    
      
      
      period_start ,
    
      
      
      period_end ,
    
      
      
      period_label ,
    
      
      
      sex ,
    
      
      
      age_group ,
    
      
      
      value ,
    
      
      
      ci_low ,
    
      
      
      ci_high ,
    
      
      
      ci_method ,
    
      
      
      denominator ,
    
      
      
      status ,
    
      
      
      compared_on ,
    
      
      
      rate_per_1000 ,
    
      
      
      rate_ci_low ,
    
      
      
      rate_ci_high ,
    
      
      
      county_value ,
    
      
      
      county_status ,
    
      
      
      county_rate_per_1000 ,
    
      
      
      diff_county ,
    
      
      
      vs_county ,
    
      
      
      sweden_value ,
    
      
      
      sweden_status ,
    
      
      
      sweden_rate_per_1000 ,
    
      
      
      diff_sweden ,
    
      
      
      vs_sweden ,
    
      
      
      kommungrupp_mean ,
    
      
      
      kommungrupp_n ,
    
      
      
      diff_kommungrupp ,
    
      
      
      vs_kommungrupp ,
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      sex_label ,
    
      
      
      protective_factor_label ,
    
      
      
      status_label ,
    
      
      
      period_date ,
    
      
      
      is_latest 
    
  )
 (
      
    select indicator_id, indicator_title, protective_factor, unit, higher_is_better, region_code, region_name, region_level, county_code, county_name, kommungrupp_code, kommungrupp, period_start, period_end, period_label, sex, age_group, value, ci_low, ci_high, ci_method, denominator, status, compared_on, rate_per_1000, rate_ci_low, rate_ci_high, county_value, county_status, county_rate_per_1000, diff_county, vs_county, sweden_value, sweden_status, sweden_rate_per_1000, diff_sweden, vs_sweden, kommungrupp_mean, kommungrupp_n, diff_kommungrupp, vs_kommungrupp, source, source_ref, sex_label, protective_factor_label, status_label, period_date, is_latest
    from (
        -- Each municipality and county value beside its county's and Sweden's value (and, for a
-- municipality, the unweighted mean of its SKR kommungrupp) for the same indicator, period,
-- sex and age group. A missing value stays NULL; so do the differences it enters. Differences
-- and means are rounded to 6 decimals (no binary noise such as 76.50999999999999).
-- Verdicts (macro significance): better / worse only when the benchmark lies outside the
-- area's 95 % interval, similar inside it, not_compared without an interval. A count is
-- compared on its rate per 1,000 and Byar's interval of it, never on the headcount
-- (compared_on); the differences and the kommungrupp mean are then per 1,000 too.
with facts as (
    select
        f.indicator_id,
        f.region_code,
        f.period_start,
        f.period_end,
        f.sex,
        f.age_group,
        f.value,
        f.ci_low,
        f.ci_high,
        f.denominator,
        f.ci_method,
        f.rate_per_1000,
        f.rate_ci_low,
        f.rate_ci_high,
        f.status,
        f.source,
        f.source_ref,
        f.status_label,
        f.is_latest,
        coalesce(i.unit = 'count', false) as is_count,
        case when i.unit = 'count' then f.rate_per_1000 else f.value end as m,
        case when i.unit = 'count' then f.rate_ci_low else f.ci_low end as m_low,
        case when i.unit = 'count' then f.rate_ci_high else f.ci_high end as m_high
    from "build"."mart"."fct_indicator_value" as f
    left join "build"."mart"."dim_indicator" as i
        on i.indicator_id = f.indicator_id
),

regions as (
    select * from "build"."mart"."dim_region"
),

kommungrupp_means as (
    select
        f.indicator_id,
        r.kommungrupp_code,
        f.period_start,
        f.period_end,
        f.sex,
        f.age_group,
        round(avg(f.m), 6) as kommungrupp_mean,
        count(f.m) as kommungrupp_n
    from facts as f
    inner join regions as r
        on r.region_code = f.region_code
    where r.region_level = 'municipality'
        and r.kommungrupp_code is not null
    group by all
)

select
    f.indicator_id,
    i.title as indicator_title,
    i.protective_factor,
    i.unit,
    i.higher_is_better,
    f.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    r.county_name,
    r.kommungrupp_code,
    r.kommungrupp,
    f.period_start,
    f.period_end,
    case
        when f.period_end = f.period_start then cast(f.period_start as varchar)
        else cast(f.period_start as varchar) || '-' || cast(f.period_end as varchar)
    end as period_label,
    f.sex,
    f.age_group,
    f.value,
    f.ci_low,
    f.ci_high,
    f.ci_method,
    f.denominator,
    f.status,
    case when not f.is_count then 'value' when f.rate_per_1000 is not null then 'rate_per_1000' end as compared_on,
    f.rate_per_1000,
    f.rate_ci_low,
    f.rate_ci_high,
    c.value as county_value,
    c.status as county_status,
    c.rate_per_1000 as county_rate_per_1000,
    round(f.m - c.m, 6) as diff_county,
    case
        when f.value is null or c.m is null or i.higher_is_better is null then null
        when f.m_low is null or f.m_high is null then 'not_compared'
        when c.m < f.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when c.m > f.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'similar'
    end as vs_county,
    s.value as sweden_value,
    s.status as sweden_status,
    s.rate_per_1000 as sweden_rate_per_1000,
    round(f.m - s.m, 6) as diff_sweden,
    case
        when f.value is null or s.m is null or i.higher_is_better is null then null
        when f.m_low is null or f.m_high is null then 'not_compared'
        when s.m < f.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when s.m > f.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'similar'
    end as vs_sweden,
    g.kommungrupp_mean,
    g.kommungrupp_n,
    round(f.m - g.kommungrupp_mean, 6) as diff_kommungrupp,
    case
        when f.value is null or g.kommungrupp_mean is null or i.higher_is_better is null then null
        when f.m_low is null or f.m_high is null then 'not_compared'
        when g.kommungrupp_mean < f.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when g.kommungrupp_mean > f.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'similar'
    end as vs_kommungrupp,
    f.source,
    f.source_ref,
    case f.sex
        when 'total' then 'Totalt'
        when 'female' then case when i.adult_measure then 'Kvinnor' else 'Flickor' end
        when 'male' then case when i.adult_measure then 'Män' else 'Pojkar' end
    end as sex_label,
    i.protective_factor_label,
    f.status_label,
    make_date(cast(f.period_end as integer), 1, 1) as period_date,
    f.is_latest
from facts as f
inner join regions as r
    on r.region_code = f.region_code
    and r.region_level in ('municipality', 'county')
inner join "build"."mart"."dim_indicator" as i
    on i.indicator_id = f.indicator_id
left join facts as c
    on c.indicator_id = f.indicator_id
    and c.region_code = r.county_code
    and c.period_start = f.period_start
    and c.period_end = f.period_end
    and c.sex = f.sex
    and c.age_group = f.age_group
left join facts as s
    on s.indicator_id = f.indicator_id
    and s.region_code = '00'
    and s.period_start = f.period_start
    and s.period_end = f.period_end
    and s.sex = f.sex
    and s.age_group = f.age_group
left join kommungrupp_means as g
    on g.indicator_id = f.indicator_id
    and g.kommungrupp_code = r.kommungrupp_code
    and g.period_start = f.period_start
    and g.period_end = f.period_end
    and g.sex = f.sex
    and g.age_group = f.age_group
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, f.region_code, f.indicator_id, f.period_start, f.period_end, f.sex, f.age_group
    ) as model_subq
    );
  