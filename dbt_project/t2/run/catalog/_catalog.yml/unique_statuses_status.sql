
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    status as unique_field,
    count(*) as n_records

from "build"."main"."statuses"
where status is not null
group by status
having count(*) > 1



  
  
      
    ) dbt_internal_test