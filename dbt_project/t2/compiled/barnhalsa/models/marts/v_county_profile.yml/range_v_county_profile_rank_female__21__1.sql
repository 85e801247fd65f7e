
select rank_female
from "build"."mart"."v_county_profile"
where rank_female is not null
  and (
    rank_female < 1
    or rank_female > 21
  )
