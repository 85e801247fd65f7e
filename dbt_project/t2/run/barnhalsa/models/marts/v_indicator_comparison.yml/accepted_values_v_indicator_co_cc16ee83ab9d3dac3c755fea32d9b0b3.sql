
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        vs_sweden as value_field,
        count(*) as n_records

    from "build"."mart"."v_indicator_comparison"
    group by vs_sweden

)

select *
from all_values
where value_field not in (
    'better','worse','similar','not_compared'
)



  
  
      
    ) dbt_internal_test