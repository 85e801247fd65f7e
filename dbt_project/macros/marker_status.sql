{#- Status of a PxWeb cell from its value and PX dot marker: a plain number is 'ok', a NULL
    without marker 'missing'; '..' not_available, '.' not_applicable, '...'/'…' not_yet_available,
    '-' magnitude_zero (the one marker whose value is a real 0). -#}
{% macro marker_status(value, marker) -%}
    case
        when {{ marker }} = '..' then 'not_available'
        when {{ marker }} = '.' then 'not_applicable'
        when {{ marker }} in ('...', '…') then 'not_yet_available'
        when {{ marker }} = '-' then 'magnitude_zero'
        when {{ value }} is null then 'missing'
        else 'ok'
    end
{%- endmacro %}
