
select region_code, year, age, sex, count(*) as n_rows
from "build"."mart"."fct_population"
group by region_code, year, age, sex
having count(*) > 1
