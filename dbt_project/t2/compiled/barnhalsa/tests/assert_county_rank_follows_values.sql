-- v_county_profile: within an indicator and age group, a county with a better value (for a count,
-- a better rate per 1,000) never has a worse (higher) rank, equal values share a rank, a rank
-- never exceeds the counties ranked, and a count without a rate is never ranked.
with profile as (
    select *, case when unit = 'count' then rate_per_1000 else value end as m
    from "build"."mart"."v_county_profile"
)

select a.indicator_id, a.age_group, a.county_code, b.county_code as other_county, a.rank, b.rank as other_rank
from profile as a
inner join profile as b
    on b.indicator_id = a.indicator_id
    and b.age_group = a.age_group
    and b.county_code <> a.county_code
where a.rank is not null
    and b.rank is not null
    and (
        (a.m = b.m and a.rank <> b.rank)
        or ((a.m > b.m) = a.higher_is_better and a.m <> b.m and a.rank >= b.rank)
        or a.rank > a.n_counties_with_value
    )
union all
select indicator_id, age_group, county_code, null, rank, null
from profile
where rank is not null and m is null