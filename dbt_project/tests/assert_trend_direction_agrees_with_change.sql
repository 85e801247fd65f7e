-- v_indicator_trend: a direction must agree with the sign of the change and the indicator's
-- polarity; better/worse/unchanged need a change, none for context indicators; a trend verdict
-- needs at least 3 tested points, improving/worsening a significant statistic of the right
-- sign (trend_z is rounded to 4 decimals, hence >= 1.96). Rows returned are errors.
{%- for k in [1, 3, 5] %}
select indicator_id, region_code, sex, age_group, {{ k }} as periods_back, change_{{ k }} as change, direction_{{ k }} as direction
from {{ ref('v_indicator_trend') }}
where (direction_{{ k }} = 'better' and (change_{{ k }} > 0) is distinct from higher_is_better)
    or (direction_{{ k }} = 'worse' and (change_{{ k }} < 0) is distinct from higher_is_better)
    or (direction_{{ k }} in ('better', 'worse', 'unchanged') and (change_{{ k }} is null or higher_is_better is null))
    or (direction_{{ k }} is not null and higher_is_better is null)
    or (direction_{{ k }} is null and change_{{ k }} is not null and higher_is_better is not null)
union all
{%- endfor %}
select indicator_id, region_code, sex, age_group, 0 as periods_back, trend_z as change, trend as direction
from {{ ref('v_indicator_trend') }}
where (trend in ('improving', 'worsening', 'no_significant_change') and trend_points < 3)
    or (trend = 'not_tested' and trend_points >= 3)
    or (trend = 'improving' and not ((trend_z >= 1.96 and higher_is_better) or (trend_z <= -1.96 and not higher_is_better)))
    or (trend = 'worsening' and not ((trend_z <= -1.96 and higher_is_better) or (trend_z >= 1.96 and not higher_is_better)))
    or (trend = 'no_significant_change' and abs(trend_z) > 1.9601)
    or (trend is not null and higher_is_better is null)
