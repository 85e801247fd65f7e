-- v_indicator_comparison: better/worse must agree with the sign of the difference and the
-- indicator's polarity, and is claimed only when the benchmark lies outside the region's 95 %
-- interval (similar only inside it, not_compared only without one); a difference exists exactly
-- when both measures do (a count's rate per 1,000, never its headcount). Rows returned are errors.
select indicator_id, region_code, period_start, sex, age_group, 'county' as compared_with
from (
    select
        *,
        case when compared_on = 'rate_per_1000' then rate_per_1000 when compared_on = 'value' then value end as m,
        case when compared_on = 'rate_per_1000' then rate_ci_low when compared_on = 'value' then ci_low end as m_low,
        case when compared_on = 'rate_per_1000' then rate_ci_high when compared_on = 'value' then ci_high end as m_high,
        case when compared_on = 'rate_per_1000' then county_rate_per_1000 when compared_on = 'value' then county_value end as b
    from "build"."mart"."v_indicator_comparison"
) as c
where (vs_county = 'better' and (diff_county > 0) is distinct from higher_is_better)
    or (vs_county = 'worse' and (diff_county < 0) is distinct from higher_is_better)
    or (vs_county in ('better', 'worse') and b between m_low and m_high)
    or (vs_county in ('better', 'worse', 'similar') and (m_low is null or m_high is null))
    or (vs_county = 'similar' and not b between m_low and m_high)
    or (vs_county = 'not_compared' and m_low is not null and m_high is not null)
    or ((diff_county is null) <> (m is null or b is null))
union all
select indicator_id, region_code, period_start, sex, age_group, 'sweden' as compared_with
from (
    select
        *,
        case when compared_on = 'rate_per_1000' then rate_per_1000 when compared_on = 'value' then value end as m,
        case when compared_on = 'rate_per_1000' then rate_ci_low when compared_on = 'value' then ci_low end as m_low,
        case when compared_on = 'rate_per_1000' then rate_ci_high when compared_on = 'value' then ci_high end as m_high,
        case when compared_on = 'rate_per_1000' then sweden_rate_per_1000 when compared_on = 'value' then sweden_value end as b
    from "build"."mart"."v_indicator_comparison"
) as c
where (vs_sweden = 'better' and (diff_sweden > 0) is distinct from higher_is_better)
    or (vs_sweden = 'worse' and (diff_sweden < 0) is distinct from higher_is_better)
    or (vs_sweden in ('better', 'worse') and b between m_low and m_high)
    or (vs_sweden in ('better', 'worse', 'similar') and (m_low is null or m_high is null))
    or (vs_sweden = 'similar' and not b between m_low and m_high)
    or (vs_sweden = 'not_compared' and m_low is not null and m_high is not null)
    or ((diff_sweden is null) <> (m is null or b is null))
union all
select indicator_id, region_code, period_start, sex, age_group, 'kommungrupp' as compared_with
from (
    select
        *,
        case when compared_on = 'rate_per_1000' then rate_per_1000 when compared_on = 'value' then value end as m,
        case when compared_on = 'rate_per_1000' then rate_ci_low when compared_on = 'value' then ci_low end as m_low,
        case when compared_on = 'rate_per_1000' then rate_ci_high when compared_on = 'value' then ci_high end as m_high,
        kommungrupp_mean as b
    from "build"."mart"."v_indicator_comparison"
) as c
where (vs_kommungrupp = 'better' and (diff_kommungrupp > 0) is distinct from higher_is_better)
    or (vs_kommungrupp = 'worse' and (diff_kommungrupp < 0) is distinct from higher_is_better)
    or (vs_kommungrupp in ('better', 'worse') and b between m_low and m_high)
    or (vs_kommungrupp in ('better', 'worse', 'similar') and (m_low is null or m_high is null))
    or (vs_kommungrupp = 'similar' and not b between m_low and m_high)
    or (vs_kommungrupp = 'not_compared' and m_low is not null and m_high is not null)
    or ((diff_kommungrupp is null) <> (m is null or b is null))
