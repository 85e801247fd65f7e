{#- Kolada region id -> SCB-style code: '0000' -> '00' (Sweden), '0017' -> '17' (county),
    municipality codes ('1780') unchanged. No municipality code starts with '00'. -#}
{% macro kolada_region_code(column) -%}
    case
        when length({{ column }}) = 4 and starts_with({{ column }}, '00') then substr({{ column }}, 3, 2)
        else {{ column }}
    end
{%- endmacro %}
