
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select source
from "build"."mart"."fct_indicator_value"
where source is not null
    and not regexp_full_match(source, '^(kolada|scb|fohm|survey:[a-z0-9_]+)$')

  
  
      
    ) dbt_internal_test