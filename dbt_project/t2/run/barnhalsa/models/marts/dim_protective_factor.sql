
    
      
    

    create  table
      "build"."mart"."dim_protective_factor__dbt_tmp"
  
  (
    protective_factor varchar not null primary key,
    kind varchar not null,
    label_sv varchar not null,
    label_en varchar not null,
    description varchar not null,
    sort_order integer
    
    )
 ;
    
    
    insert into "build"."mart"."dim_protective_factor__dbt_tmp" 
  (
    
      
      
      protective_factor ,
    
      
      
      kind ,
    
      
      
      label_sv ,
    
      
      
      label_en ,
    
      
      
      description ,
    
      
      
      sort_order 
    
  )
 (
      
    select protective_factor, kind, label_sv, label_en, description, sort_order
    from (
        select
    protective_factor,
    kind,
    label_sv,
    label_en,
    description,
    sort_order
from "build"."main"."protective_factors"
    ) as model_subq
    );
  