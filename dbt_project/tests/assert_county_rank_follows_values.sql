-- v_county_profile: within an indicator and age group, a county with a better value never has a
-- worse (higher) rank, equal values share a rank, and a rank never exceeds the counties ranked.
select a.indicator_id, a.age_group, a.county_code, b.county_code as other_county, a.rank, b.rank as other_rank
from {{ ref('v_county_profile') }} as a
inner join {{ ref('v_county_profile') }} as b
    on b.indicator_id = a.indicator_id
    and b.age_group = a.age_group
    and b.county_code <> a.county_code
where a.rank is not null
    and b.rank is not null
    and (
        (a.value = b.value and a.rank <> b.rank)
        or ((a.value > b.value) = a.higher_is_better and a.value <> b.value and a.rank >= b.rank)
        or a.rank > a.n_counties_with_value
    )
