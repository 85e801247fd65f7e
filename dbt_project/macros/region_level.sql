{#- Level of an SCB-style region code: '00' country, two digits county, four digits municipality. -#}
{% macro region_level(code) -%}
    case
        when {{ code }} = '00' then 'country'
        when length({{ code }}) = 2 then 'county'
        when length({{ code }}) = 4 then 'municipality'
    end
{%- endmacro %}
