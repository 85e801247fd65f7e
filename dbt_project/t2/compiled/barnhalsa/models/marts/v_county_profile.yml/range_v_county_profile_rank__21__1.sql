
select rank
from "build"."mart"."v_county_profile"
where rank is not null
  and (
    rank < 1
    or rank > 21
  )
