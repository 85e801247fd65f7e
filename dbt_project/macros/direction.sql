{#- Whether value `a` is better or worse than value `b`, respecting higher_is_better:
    NULL when either value or the direction is unknown (nothing is imputed); `same` when both
    carry a confidence interval and the intervals overlap, or when the values are equal. -#}
{% macro direction(a, a_low, a_high, b, b_low, b_high, higher_is_better, better='better', worse='worse', same='unchanged') -%}
    case
        when {{ a }} is null or {{ b }} is null or {{ higher_is_better }} is null then null
        when {{ a_low }} is not null and {{ a_high }} is not null
            and {{ b_low }} is not null and {{ b_high }} is not null
            and {{ a_low }} <= {{ b_high }} and {{ b_low }} <= {{ a_high }} then '{{ same }}'
        when {{ a }} = {{ b }} then '{{ same }}'
        when ({{ a }} > {{ b }}) = {{ higher_is_better }} then '{{ better }}'
        else '{{ worse }}'
    end
{%- endmacro %}
