
    
      
    

    create  table
      "build"."mart"."dim_indicator__dbt_tmp"
  
  (
    indicator_id varchar not null primary key,
    title varchar not null,
    protective_factor varchar not null,
    source varchar not null,
    source_ref varchar not null,
    unit varchar,
    higher_is_better boolean,
    rate_ages varchar,
    denominator_ages varchar,
    short_title varchar not null,
    ages varchar,
    age_label varchar,
    municipality_type varchar,
    by_sex boolean,
    source_title varchar,
    protective_factor_label varchar not null,
    adult_measure boolean not null
    
    )
 ;
    
    
    insert into "build"."mart"."dim_indicator__dbt_tmp" 
  (
    
      
      
      indicator_id ,
    
      
      
      title ,
    
      
      
      protective_factor ,
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      unit ,
    
      
      
      higher_is_better ,
    
      
      
      rate_ages ,
    
      
      
      denominator_ages ,
    
      
      
      short_title ,
    
      
      
      ages ,
    
      
      
      age_label ,
    
      
      
      municipality_type ,
    
      
      
      by_sex ,
    
      
      
      source_title ,
    
      
      
      protective_factor_label ,
    
      
      
      adult_measure 
    
  )
 (
      
    select indicator_id, title, protective_factor, source, source_ref, unit, higher_is_better, rate_ages, denominator_ages, short_title, ages, age_label, municipality_type, by_sex, source_title, protective_factor_label, adult_measure
    from (
        -- The catalogue, and the indicators the dropped survey specs declare.
with indicators as (
select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    rate_ages,
    denominator_ages,
    short_title,
    ages,
    age_label,
    municipality_type,
    by_sex,
    cast(null as varchar) as source_title
from "build"."main"."indicators"
union all
select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    cast(null as varchar) as rate_ages,
    cast(null as varchar) as denominator_ages,
    title as short_title,
    cast(null as varchar) as ages,
    cast(null as varchar) as age_label,
    cast(null as varchar) as municipality_type,
    cast(null as boolean) as by_sex,
    source_title
from "build"."main"."stg_survey__indicators"
)

select
    i.*,
    pf.label_sv as protective_factor_label,
    a.indicator_id is not null as adult_measure
from indicators as i
left join "build"."main"."protective_factors" as pf
    on pf.protective_factor = i.protective_factor
left join "build"."main"."adult_indicators" as a
    on a.indicator_id = i.indicator_id
    ) as model_subq
    );
  