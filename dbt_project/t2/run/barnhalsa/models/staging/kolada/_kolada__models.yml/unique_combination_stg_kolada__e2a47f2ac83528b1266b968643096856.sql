
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select kolada_group_id, kolada_region_id, count(*) as n_rows
from "build"."main"."stg_kolada__municipality_groups"
group by kolada_group_id, kolada_region_id
having count(*) > 1

  
  
      
    ) dbt_internal_test