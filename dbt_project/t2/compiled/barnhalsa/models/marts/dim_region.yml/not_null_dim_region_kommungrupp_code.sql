
    
    



select kommungrupp_code
from (select * from "build"."mart"."dim_region" where region_level = 'municipality') dbt_subquery
where kommungrupp_code is null


