
    
    

select
    kommungrupp_code as unique_field,
    count(*) as n_records

from "build"."main"."kommungrupper"
where kommungrupp_code is not null
group by kommungrupp_code
having count(*) > 1


