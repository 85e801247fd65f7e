
    
      
    

    create  table
      "build"."mart"."fct_population__dbt_tmp"
  
  (
    region_code varchar not null,
    year integer not null,
    age integer not null,
    sex varchar not null,
    population bigint,
    status varchar not null,
    source varchar not null,
    source_ref varchar not null,
    fetched_at timestamp with time zone,
    request_url varchar not null,
    body_sha256 varchar not null
    
    )
 ;
    
    
    insert into "build"."mart"."fct_population__dbt_tmp" 
  (
    
      
      
      region_code ,
    
      
      
      year ,
    
      
      
      age ,
    
      
      
      sex ,
    
      
      
      population ,
    
      
      
      status ,
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      fetched_at ,
    
      
      
      request_url ,
    
      
      
      body_sha256 
    
  )
 (
      
    select region_code, year, age, sex, population, status, source, source_ref, fetched_at, request_url, body_sha256
    from (
        select
    region_code,
    year,
    age,
    sex,
    population,
    status,
    'scb' as source,
    source_ref,
    fetched_at,
    request_url,
    body_sha256
from "build"."main"."int_population"
    ) as model_subq
    );
  