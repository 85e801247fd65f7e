
    
      
    

    create  table
      "build"."mart"."fct_indicator_value__dbt_tmp"
  
  (
    indicator_id varchar not null,
    region_code varchar not null,
    period_start integer not null,
    period_end integer not null,
    sex varchar not null,
    age_group varchar not null,
    age_label varchar,
    value double,
    ci_low double,
    ci_high double,
    n double,
    status varchar not null,
    rate_population bigint,
    rate_per_1000 double,
    rate_ci_low double,
    rate_ci_high double,
    denominator double,
    ci_method varchar,
    source varchar not null,
    source_ref varchar not null,
    fetched_at timestamp with time zone not null,
    request_url varchar not null,
    body_sha256 varchar,
    source_marker varchar,
    sex_label varchar not null,
    status_label varchar,
    period_date date not null,
    is_latest boolean not null
    
    )
 ;
    
    
    insert into "build"."mart"."fct_indicator_value__dbt_tmp" 
  (
    
      
      
      indicator_id ,
    
      
      
      region_code ,
    
      
      
      period_start ,
    
      
      
      period_end ,
    
      
      
      sex ,
    
      
      
      age_group ,
    
      
      
      age_label ,
    
      
      
      value ,
    
      
      
      ci_low ,
    
      
      
      ci_high ,
    
      
      
      n ,
    
      
      
      status ,
    
      
      
      rate_population ,
    
      
      
      rate_per_1000 ,
    
      
      
      rate_ci_low ,
    
      
      
      rate_ci_high ,
    
      
      
      denominator ,
    
      
      
      ci_method ,
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      fetched_at ,
    
      
      
      request_url ,
    
      
      
      body_sha256 ,
    
      
      
      source_marker ,
    
      
      
      sex_label ,
    
      
      
      status_label ,
    
      
      
      period_date ,
    
      
      
      is_latest 
    
  )
 (
      
    select indicator_id, region_code, period_start, period_end, sex, age_group, age_label, value, ci_low, ci_high, n, status, rate_population, rate_per_1000, rate_ci_low, rate_ci_high, denominator, ci_method, source, source_ref, fetched_at, request_url, body_sha256, source_marker, sex_label, status_label, period_date, is_latest
    from (
        -- Every value with its 95 % confidence interval where one can honestly be given (see README,
-- Methods): the source's own interval (Folkhälsodata, surveys); for a share of a population
-- group (catalogue denominator_ages) the Wilson interval on SCB's population of those ages; for
-- a count with a rate (catalogue rate_ages) Byar's interval, on the count and on its rate per
-- 1,000. Indices, means, points and per-inhabitant figures without a count get none.
with catalogue as (
    select indicator_id, unit, rate_ages, denominator_ages
    from "build"."main"."indicators"
),

joined as (
    select
        v.*,
        c.unit,
        c.rate_ages,
        c.denominator_ages,
        d.population
    from "build"."main"."int_indicator_values" as v
    left join catalogue as c
        on c.indicator_id = v.indicator_id
    left join "build"."main"."int_indicator_denominators" as d
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
    coalesce(case
    when i.age_group = 'total' then null
    when regexp_full_match(i.age_group, 'ak[0-9]') then 'Åk ' || substr(i.age_group, 3)
    when regexp_full_match(i.age_group, 'gy[0-9]') then 'Gy ' || substr(i.age_group, 3)
    when regexp_full_match(i.age_group, '[0-9]+-[0-9]+') then replace(i.age_group, '-', '–') || ' år'
    when regexp_full_match(i.age_group, '[0-9]+') then i.age_group || ' år'
    else i.age_group
end, di.age_label) as age_label,
    i.value,
    case i.method
        when 'source' then i.ci_low
        when 'wilson' then 100 * case when i.population > 0 and i.value / 100 between 0 and 1 then
        greatest(0.0, (2 * i.population * i.value / 100 + 1.96^2
            - 1.96 * sqrt(1.96^2 + 4 * i.population * i.value / 100 * (1 - i.value / 100)))
            / (2 * (i.population + 1.96^2)))
    end
        when 'byar' then case
        when i.value = 0 then 0.0
        when i.value > 0 then i.value * (1 - 1 / (9 * i.value) - 1.96 / (3 * sqrt(i.value)))^3
    end
    end as ci_low,
    case i.method
        when 'source' then i.ci_high
        when 'wilson' then 100 * case when i.population > 0 and i.value / 100 between 0 and 1 then
        least(1.0, (2 * i.population * i.value / 100 + 1.96^2
            + 1.96 * sqrt(1.96^2 + 4 * i.population * i.value / 100 * (1 - i.value / 100)))
            / (2 * (i.population + 1.96^2)))
    end
        when 'byar' then case
        when i.value >= 0 then (i.value + 1) * (1 - 1 / (9 * (i.value + 1)) + 1.96 / (3 * sqrt(i.value + 1)))^3
    end
    end as ci_high,
    i.n,
    i.status,
    case when i.rate_ages is not null then i.population end as rate_population,
    case
        when i.rate_ages is not null and i.value is not null and i.population > 0 then round(1000.0 * i.value / i.population, 3)
    end as rate_per_1000,
    case when i.method = 'byar' and i.population > 0 then 1000.0 * case
        when i.value = 0 then 0.0
        when i.value > 0 then i.value * (1 - 1 / (9 * i.value) - 1.96 / (3 * sqrt(i.value)))^3
    end / i.population end as rate_ci_low,
    case when i.method = 'byar' and i.population > 0 then 1000.0 * case
        when i.value >= 0 then (i.value + 1) * (1 - 1 / (9 * (i.value + 1)) + 1.96 / (3 * sqrt(i.value + 1)))^3
    end / i.population end as rate_ci_high,
    cast(case i.method when 'source' then i.n when 'wilson' then i.population when 'byar' then i.population end as double) as denominator,
    i.method as ci_method,
    i.source,
    i.source_ref,
    i.fetched_at,
    i.request_url,
    i.body_sha256,
    i.source_marker,
    case i.sex
        when 'total' then 'Totalt'
        when 'female' then case when a.indicator_id is not null then 'Kvinnor' else 'Flickor' end
        when 'male' then case when a.indicator_id is not null then 'Män' else 'Pojkar' end
    end as sex_label,
    st.label_sv as status_label,
    make_date(cast(i.period_end as integer), 1, 1) as period_date,
    coalesce(i.period_start = lt.period_start and i.period_end = lt.period_end, false) as is_latest
from intervals as i
left join "build"."mart"."dim_indicator" as di
    on di.indicator_id = i.indicator_id
left join "build"."main"."adult_indicators" as a
    on a.indicator_id = i.indicator_id
left join "build"."main"."statuses" as st
    on st.status = i.status
left join (
    -- the newest period in which the indicator (of that age group) has a value for any region
    select indicator_id, age_group, period_start, period_end
    from "build"."main"."int_indicator_values"
    where value is not null
    qualify row_number() over (
        partition by indicator_id, age_group order by period_end desc, period_start desc
    ) = 1
) as lt
    on lt.indicator_id = i.indicator_id
    and lt.age_group = i.age_group
    ) as model_subq
    );
  