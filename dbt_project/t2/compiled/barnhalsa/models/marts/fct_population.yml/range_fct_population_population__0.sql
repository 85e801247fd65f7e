
select population
from "build"."mart"."fct_population"
where population is not null
  and (
    population < 0
    or false
  )
