{#- '2024' for a yearly period, '2021-2022' for a pooled one. -#}
{% macro period_label(period_start, period_end) -%}
    case
        when {{ period_end }} = {{ period_start }} then cast({{ period_start }} as varchar)
        else cast({{ period_start }} as varchar) || '-' || cast({{ period_end }} as varchar)
    end
{%- endmacro %}
