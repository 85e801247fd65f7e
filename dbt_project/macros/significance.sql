{#- Fingertips' comparison with a benchmark: an area is better or worse than the benchmark only
    when the benchmark lies outside the area's 95 % confidence interval, respecting the
    indicator's polarity; `same` when it lies inside (bounds included); `not_compared` when the
    area has no interval. NULL when the area value, the benchmark or the polarity is unknown
    (context indicators have no better or worse). Source: Public Health England, Fingertips
    technical guidance, "Comparing an area with a benchmark". -#}
{% macro significance(value, ci_low, ci_high, benchmark, higher_is_better, better='better', worse='worse', same='similar') -%}
    case
        when {{ value }} is null or {{ benchmark }} is null or {{ higher_is_better }} is null then null
        when {{ ci_low }} is null or {{ ci_high }} is null then 'not_compared'
        when {{ benchmark }} < {{ ci_low }} then case when {{ higher_is_better }} then '{{ better }}' else '{{ worse }}' end
        when {{ benchmark }} > {{ ci_high }} then case when {{ higher_is_better }} then '{{ worse }}' else '{{ better }}' end
        else '{{ same }}'
    end
{%- endmacro %}
