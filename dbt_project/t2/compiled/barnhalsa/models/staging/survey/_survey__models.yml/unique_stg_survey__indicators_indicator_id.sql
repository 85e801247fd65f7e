
    
    

select
    indicator_id as unique_field,
    count(*) as n_records

from "build"."main"."stg_survey__indicators"
where indicator_id is not null
group by indicator_id
having count(*) > 1


