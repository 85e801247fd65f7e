
    
    

select
    status as unique_field,
    count(*) as n_records

from "build"."main"."statuses"
where status is not null
group by status
having count(*) > 1


