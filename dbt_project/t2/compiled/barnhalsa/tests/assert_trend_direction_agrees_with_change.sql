-- v_indicator_trend: a direction must agree with the sign of the change and the indicator's
-- polarity; better/worse/unchanged need a change, none for context indicators; a trend verdict
-- needs at least 3 tested points, improving/worsening a significant statistic of the right
-- sign (trend_z is rounded to 4 decimals, hence >= 1.96). Rows returned are errors.
select indicator_id, region_code, sex, age_group, 1 as periods_back, change_1 as change, direction_1 as direction
from "build"."mart"."v_indicator_trend"
where (direction_1 = 'better' and (change_1 > 0) is distinct from higher_is_better)
    or (direction_1 = 'worse' and (change_1 < 0) is distinct from higher_is_better)
    or (direction_1 in ('better', 'worse', 'unchanged') and (change_1 is null or higher_is_better is null))
    or (direction_1 is not null and higher_is_better is null)
    or (direction_1 is null and change_1 is not null and higher_is_better is not null)
union all
select indicator_id, region_code, sex, age_group, 3 as periods_back, change_3 as change, direction_3 as direction
from "build"."mart"."v_indicator_trend"
where (direction_3 = 'better' and (change_3 > 0) is distinct from higher_is_better)
    or (direction_3 = 'worse' and (change_3 < 0) is distinct from higher_is_better)
    or (direction_3 in ('better', 'worse', 'unchanged') and (change_3 is null or higher_is_better is null))
    or (direction_3 is not null and higher_is_better is null)
    or (direction_3 is null and change_3 is not null and higher_is_better is not null)
union all
select indicator_id, region_code, sex, age_group, 5 as periods_back, change_5 as change, direction_5 as direction
from "build"."mart"."v_indicator_trend"
where (direction_5 = 'better' and (change_5 > 0) is distinct from higher_is_better)
    or (direction_5 = 'worse' and (change_5 < 0) is distinct from higher_is_better)
    or (direction_5 in ('better', 'worse', 'unchanged') and (change_5 is null or higher_is_better is null))
    or (direction_5 is not null and higher_is_better is null)
    or (direction_5 is null and change_5 is not null and higher_is_better is not null)
union all
select indicator_id, region_code, sex, age_group, 0 as periods_back, trend_z as change, trend as direction
from "build"."mart"."v_indicator_trend"
where (trend in ('improving', 'worsening', 'no_significant_change') and trend_points < 3)
    or (trend = 'not_tested' and trend_points >= 3)
    or (trend = 'improving' and not ((trend_z >= 1.96 and higher_is_better) or (trend_z <= -1.96 and not higher_is_better)))
    or (trend = 'worsening' and not ((trend_z <= -1.96 and higher_is_better) or (trend_z >= 1.96 and not higher_is_better)))
    or (trend = 'no_significant_change' and abs(trend_z) > 1.9601)
    or (trend is not null and higher_is_better is null)