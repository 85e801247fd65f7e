-- v_indicator_comparison: better/worse must agree with the sign of the difference and the
-- indicator's polarity, and is claimed only when the benchmark lies outside the region's 95 %
-- interval (similar only inside it, not_compared only without one); a difference exists exactly
-- when both measures do (a count's rate per 1,000, never its headcount). Rows returned are errors.
{%- for ref_name in ['county', 'sweden', 'kommungrupp'] %}
{%- set benchmark = 'kommungrupp_mean' if ref_name == 'kommungrupp' else
    "case when compared_on = 'rate_per_1000' then " ~ ref_name ~ "_rate_per_1000 when compared_on = 'value' then " ~ ref_name ~ "_value end" %}
select indicator_id, region_code, period_start, sex, age_group, '{{ ref_name }}' as compared_with
from (
    select
        *,
        case when compared_on = 'rate_per_1000' then rate_per_1000 when compared_on = 'value' then value end as m,
        case when compared_on = 'rate_per_1000' then rate_ci_low when compared_on = 'value' then ci_low end as m_low,
        case when compared_on = 'rate_per_1000' then rate_ci_high when compared_on = 'value' then ci_high end as m_high,
        {{ benchmark }} as b
    from {{ ref('v_indicator_comparison') }}
) as c
where (vs_{{ ref_name }} = 'better' and (diff_{{ ref_name }} > 0) is distinct from higher_is_better)
    or (vs_{{ ref_name }} = 'worse' and (diff_{{ ref_name }} < 0) is distinct from higher_is_better)
    or (vs_{{ ref_name }} in ('better', 'worse') and b between m_low and m_high)
    or (vs_{{ ref_name }} in ('better', 'worse', 'similar') and (m_low is null or m_high is null))
    or (vs_{{ ref_name }} = 'similar' and not b between m_low and m_high)
    or (vs_{{ ref_name }} = 'not_compared' and m_low is not null and m_high is not null)
    or ((diff_{{ ref_name }} is null) <> (m is null or b is null))
{{ "union all" if not loop.last }}
{%- endfor %}
