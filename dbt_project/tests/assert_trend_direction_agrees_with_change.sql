-- v_indicator_trend: a direction must agree with the sign of the change and the indicator's
-- polarity; no direction without a change, none for context indicators. Rows returned are errors.
{%- for k in [1, 3, 5] %}
select indicator_id, region_code, sex, age_group, {{ k }} as periods_back, change_{{ k }} as change, direction_{{ k }} as direction
from {{ ref('v_indicator_trend') }}
where (direction_{{ k }} = 'better' and (change_{{ k }} > 0) is distinct from higher_is_better)
    or (direction_{{ k }} = 'worse' and (change_{{ k }} < 0) is distinct from higher_is_better)
    or (direction_{{ k }} is not null and (change_{{ k }} is null or higher_is_better is null))
    or (direction_{{ k }} is null and change_{{ k }} is not null and higher_is_better is not null)
{{ "union all" if not loop.last }}
{%- endfor %}
