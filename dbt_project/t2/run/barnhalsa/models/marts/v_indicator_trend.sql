
    
      
    

    create  table
      "build"."mart"."v_indicator_trend__dbt_tmp"
  
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
    sex varchar not null,
    age_group varchar not null,
    n_periods bigint,
    latest_period_start integer not null,
    latest_period_end integer not null,
    latest_period_label varchar,
    latest_value double,
    latest_ci_low double,
    latest_ci_high double,
    latest_status varchar not null,
    latest_ci_method varchar,
    compared_on varchar,
    base_period_1 varchar,
    base_value_1 double,
    base_status_1 varchar,
    change_1 double,
    direction_1 varchar,
    base_period_3 varchar,
    base_value_3 double,
    base_status_3 varchar,
    change_3 double,
    direction_3 varchar,
    base_period_5 varchar,
    base_value_5 double,
    base_status_5 varchar,
    change_5 double,
    direction_5 varchar,
    trend_points bigint,
    trend_first_period varchar,
    trend_last_period varchar,
    trend_method varchar,
    trend_z double,
    trend varchar,
    latest_status_label varchar,
    sex_label varchar,
    protective_factor_label varchar,
    latest_period_date date
    
    )
 ;
    
    
    insert into "build"."mart"."v_indicator_trend__dbt_tmp" 
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
    
      
      
      sex ,
    
      
      
      age_group ,
    
      
      
      n_periods ,
    
      
      
      latest_period_start ,
    
      
      
      latest_period_end ,
    
      
      
      latest_period_label ,
    
      
      
      latest_value ,
    
      
      
      latest_ci_low ,
    
      
      
      latest_ci_high ,
    
      
      
      latest_status ,
    
      
      
      latest_ci_method ,
    
      
      
      compared_on ,
    
      
      
      base_period_1 ,
    
      
      
      base_value_1 ,
    
      
      
      base_status_1 ,
    
      
      
      change_1 ,
    
      
      
      direction_1 ,
    
      
      
      base_period_3 ,
    
      
      
      base_value_3 ,
    
      
      
      base_status_3 ,
    
      
      
      change_3 ,
    
      
      
      direction_3 ,
    
      
      
      base_period_5 ,
    
      
      
      base_value_5 ,
    
      
      
      base_status_5 ,
    
      
      
      change_5 ,
    
      
      
      direction_5 ,
    
      
      
      trend_points ,
    
      
      
      trend_first_period ,
    
      
      
      trend_last_period ,
    
      
      
      trend_method ,
    
      
      
      trend_z ,
    
      
      
      trend ,
    
      
      
      latest_status_label ,
    
      
      
      sex_label ,
    
      
      
      protective_factor_label ,
    
      
      
      latest_period_date 
    
  )
 (
      
    select indicator_id, indicator_title, protective_factor, unit, higher_is_better, region_code, region_name, region_level, county_code, sex, age_group, n_periods, latest_period_start, latest_period_end, latest_period_label, latest_value, latest_ci_low, latest_ci_high, latest_status, latest_ci_method, compared_on, base_period_1, base_value_1, base_status_1, change_1, direction_1, base_period_3, base_value_3, base_status_3, change_3, direction_3, base_period_5, base_value_5, base_status_5, change_5, direction_5, trend_points, trend_first_period, trend_last_period, trend_method, trend_z, trend, latest_status_label, sex_label, protective_factor_label, latest_period_date
    from (
        -- One row per series (indicator, region, sex, age group): its latest period, the change over
-- the latest 1, 3 and 5 periods (the value that many published periods earlier), and a trend
-- test over the latest 5 periods. Verdicts claim a difference only where it is significant
-- (README, Methods):
--   direction_k: better / worse only when the value k periods back lies outside the latest
--     value's 95 % interval (macro significance), unchanged inside it, not_compared when the
--     latest value has no interval;
--   trend: improving / worsening only when the test over the latest 5 periods (at least 3
--     points with an interval, overlapping pooled periods thinned out) is significant at 5 %: the chi-square test for trend
--     (Cochran-Armitage) where every point is a share with its denominator (Wilson), weighted
--     least squares with weights from the intervals otherwise (source intervals, whose
--     numerators are survey-weighted and not counts, and rates with Byar intervals);
--     no_significant_change otherwise; not_tested with fewer than 3 points with an interval.
-- A count is read on its rate per 1,000 (its change too), never on the headcount. NULL when a
-- value or the direction is unknown (context indicators): nothing is imputed.
with facts as (
    select
        f.indicator_id,
        f.region_code,
        f.sex,
        f.age_group,
        f.period_start,
        f.period_end,
        f.value,
        f.ci_low,
        f.ci_high,
        f.ci_method,
        f.denominator,
        f.status,
        f.status_label,
        case when i.unit = 'count' then f.rate_per_1000 else f.value end as m,
        case when i.unit = 'count' then f.rate_ci_low else f.ci_low end as m_low,
        case when i.unit = 'count' then f.rate_ci_high else f.ci_high end as m_high
    from "build"."mart"."fct_indicator_value" as f
    left join "build"."mart"."dim_indicator" as i
        on i.indicator_id = f.indicator_id
),

series as (
    select
        *,
        lag(period_start, 1) over w as base_start_1,
        lag(period_end, 1) over w as base_end_1,
        lag(value, 1) over w as base_value_1,
        lag(m, 1) over w as base_m_1,
        lag(status, 1) over w as base_status_1,
        lag(period_start, 3) over w as base_start_3,
        lag(period_end, 3) over w as base_end_3,
        lag(value, 3) over w as base_value_3,
        lag(m, 3) over w as base_m_3,
        lag(status, 3) over w as base_status_3,
        lag(period_start, 5) over w as base_start_5,
        lag(period_end, 5) over w as base_end_5,
        lag(value, 5) over w as base_value_5,
        lag(m, 5) over w as base_m_5,
        lag(status, 5) over w as base_status_5,
        lag(period_end) over w as previous_end,
        count(*) over (partition by indicator_id, region_code, sex, age_group) as n_periods,
        row_number() over (
            partition by indicator_id, region_code, sex, age_group
            order by period_start desc, period_end desc
        ) as recency
    from facts
    window w as (partition by indicator_id, region_code, sex, age_group order by period_start, period_end)
),

-- a series of overlapping pooled periods (Folkhälsodata HLV: 2015-2018, 2016-2019, …) shares
-- respondents between neighbouring points; the test takes only every span-th of them (the
-- latest, then the one that ends before it starts), so its points do not overlap
spacing as (
    select
        *,
        bool_or(period_start <= previous_end) over s as overlapping,
        max(period_end - period_start + 1) over s as span
    from series
    window s as (partition by indicator_id, region_code, sex, age_group)
),

-- the points the trend test uses: the latest 5 periods, those with a value and an interval
-- (and not overlapping); t = 1 … 5 in time order (the latest period is 5), y the measure,
-- w = 1 / se², se from the interval's width; r and n the numerator and denominator of a share
-- with a Wilson interval
points as (
    select
        indicator_id,
        region_code,
        sex,
        age_group,
        period_start,
        period_end,
        6 - recency as t,
        m as y,
        1 / ((m_high - m_low) / (2 * 1.96))^2 as w,
        ci_method = 'wilson' and denominator > 0 as has_counts,
        m / 100 * denominator as r,
        denominator as n
    from spacing
    where recency <= 5
        and (not overlapping or (recency - 1) % span = 0)
        and m is not null
        and m_low is not null
        and m_high > m_low
),

tests as (
    select
        indicator_id,
        region_code,
        sex,
        age_group,
        count(*) as trend_points,
        min(period_start) as first_start,
        arg_min(period_end, period_start) as first_end,
        max(period_end) as last_end,
        arg_max(period_start, period_end) as last_start,
        bool_and(has_counts) as all_counts,
        (sum(t * r) - sum(r) / sum(n) * sum(t * n))
    / nullif(sqrt(
        (sum(r) / sum(n)) * (1 - sum(r) / sum(n))
        * (sum(n * t * t) - sum(n * t)^2 / sum(n))
    ), 0) as chi_z,
        (sum(w * t * y) - sum(w * t) * sum(w * y) / sum(w))
    / nullif(sqrt(sum(w * t * t) - sum(w * t)^2 / sum(w)), 0) as wls_z
    from points
    group by indicator_id, region_code, sex, age_group
)

select
    s.indicator_id,
    i.title as indicator_title,
    i.protective_factor,
    i.unit,
    i.higher_is_better,
    s.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    s.sex,
    s.age_group,
    s.n_periods,
    s.period_start as latest_period_start,
    s.period_end as latest_period_end,
    case
        when s.period_end = s.period_start then cast(s.period_start as varchar)
        else cast(s.period_start as varchar) || '-' || cast(s.period_end as varchar)
    end as latest_period_label,
    s.value as latest_value,
    s.ci_low as latest_ci_low,
    s.ci_high as latest_ci_high,
    s.ci_method as latest_ci_method,
    s.status as latest_status,
    case when coalesce(i.unit, '') <> 'count' then 'value' when s.m is not null then 'rate_per_1000' end as compared_on,
    s.status_label as latest_status_label,
    case s.sex
        when 'total' then 'Totalt'
        when 'female' then case when i.adult_measure then 'Kvinnor' else 'Flickor' end
        when 'male' then case when i.adult_measure then 'Män' else 'Pojkar' end
    end as sex_label,
    i.protective_factor_label,
    make_date(cast(s.period_end as integer), 1, 1) as latest_period_date,
    case when s.base_start_1 is not null then
        case
        when s.base_end_1 = s.base_start_1 then cast(s.base_start_1 as varchar)
        else cast(s.base_start_1 as varchar) || '-' || cast(s.base_end_1 as varchar)
    end
    end as base_period_1,
    s.base_value_1,
    s.base_status_1,
    round(s.m - s.base_m_1, 6) as change_1,
    case
        when s.value is null or s.base_m_1 is null or i.higher_is_better is null then null
        when s.m_low is null or s.m_high is null then 'not_compared'
        when s.base_m_1 < s.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when s.base_m_1 > s.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'unchanged'
    end as direction_1,
    case when s.base_start_3 is not null then
        case
        when s.base_end_3 = s.base_start_3 then cast(s.base_start_3 as varchar)
        else cast(s.base_start_3 as varchar) || '-' || cast(s.base_end_3 as varchar)
    end
    end as base_period_3,
    s.base_value_3,
    s.base_status_3,
    round(s.m - s.base_m_3, 6) as change_3,
    case
        when s.value is null or s.base_m_3 is null or i.higher_is_better is null then null
        when s.m_low is null or s.m_high is null then 'not_compared'
        when s.base_m_3 < s.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when s.base_m_3 > s.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'unchanged'
    end as direction_3,
    case when s.base_start_5 is not null then
        case
        when s.base_end_5 = s.base_start_5 then cast(s.base_start_5 as varchar)
        else cast(s.base_start_5 as varchar) || '-' || cast(s.base_end_5 as varchar)
    end
    end as base_period_5,
    s.base_value_5,
    s.base_status_5,
    round(s.m - s.base_m_5, 6) as change_5,
    case
        when s.value is null or s.base_m_5 is null or i.higher_is_better is null then null
        when s.m_low is null or s.m_high is null then 'not_compared'
        when s.base_m_5 < s.m_low then case when i.higher_is_better then 'better' else 'worse' end
        when s.base_m_5 > s.m_high then case when i.higher_is_better then 'worse' else 'better' end
        else 'unchanged'
    end as direction_5,
    coalesce(t.trend_points, 0) as trend_points,
    case when t.trend_points >= 3 then case
        when t.first_end = t.first_start then cast(t.first_start as varchar)
        else cast(t.first_start as varchar) || '-' || cast(t.first_end as varchar)
    end end as trend_first_period,
    case when t.trend_points >= 3 then case
        when t.last_end = t.last_start then cast(t.last_start as varchar)
        else cast(t.last_start as varchar) || '-' || cast(t.last_end as varchar)
    end end as trend_last_period,
    case
        when t.trend_points >= 3 and t.all_counts then 'chi_square_trend'
        when t.trend_points >= 3 then 'wls'
    end as trend_method,
    case
        when t.trend_points >= 3 and t.all_counts then round(t.chi_z, 4)
        when t.trend_points >= 3 then round(t.wls_z, 4)
    end as trend_z,
    case
        when i.higher_is_better is null then null
        when coalesce(t.trend_points, 0) < 3 then 'not_tested'
        when abs(case when t.all_counts then t.chi_z else t.wls_z end) > 1.96 then
            case when (case when t.all_counts then t.chi_z else t.wls_z end > 0) = i.higher_is_better
                then 'improving' else 'worsening' end
        else 'no_significant_change'
    end as trend
from series as s
inner join "build"."mart"."dim_indicator" as i
    on i.indicator_id = s.indicator_id
inner join "build"."mart"."dim_region" as r
    on r.region_code = s.region_code
left join tests as t
    on t.indicator_id = s.indicator_id
    and t.region_code = s.region_code
    and t.sex = s.sex
    and t.age_group = s.age_group
where s.recency = 1
-- stored in county order so a county's rows sit together (DuckDB skips the other row groups)
order by r.county_code, s.region_code, s.indicator_id, s.sex, s.age_group
    ) as model_subq
    );
  