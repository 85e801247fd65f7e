
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    protective_factor as unique_field,
    count(*) as n_records

from "build"."main"."protective_factors"
where protective_factor is not null
group by protective_factor
having count(*) > 1



  
  
      
    ) dbt_internal_test