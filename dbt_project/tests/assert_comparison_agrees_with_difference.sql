-- v_indicator_comparison: better/worse must agree with the sign of the difference and the
-- indicator's polarity, and a difference exists exactly when both values do. Rows returned are errors.
{%- for ref_name in ['county', 'sweden'] %}
select indicator_id, region_code, period_start, sex, age_group, '{{ ref_name }}' as compared_with
from {{ ref('v_indicator_comparison') }}
where (vs_{{ ref_name }} = 'better' and (diff_{{ ref_name }} > 0) is distinct from higher_is_better)
    or (vs_{{ ref_name }} = 'worse' and (diff_{{ ref_name }} < 0) is distinct from higher_is_better)
    or ((diff_{{ ref_name }} is null) <> (value is null or {{ ref_name }}_value is null))
{{ "union all" if not loop.last }}
{%- endfor %}
