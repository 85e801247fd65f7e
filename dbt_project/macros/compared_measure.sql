{% macro compared_measure(fact, indicator) -%}
{#- The measure a verdict compares (m, with its interval m_low / m_high): the value, or for a
    count its rate per 1,000 with Byar's interval of it; never the headcount. -#}
case when {{ indicator }}.unit = 'count' then {{ fact }}.rate_per_1000 else {{ fact }}.value end as m,
        case when {{ indicator }}.unit = 'count' then {{ fact }}.rate_ci_low else {{ fact }}.ci_low end as m_low,
        case when {{ indicator }}.unit = 'count' then {{ fact }}.rate_ci_high else {{ fact }}.ci_high end as m_high
{%- endmacro %}
