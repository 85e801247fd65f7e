{#- Swedish label of a sex code: Flickor / Pojkar for children and young people, Kvinnor / Män
    for an indicator measured on adults (catalog/adult_indicators.csv), Totalt for both. -#}
{% macro sex_label(sex, adult) -%}
    case {{ sex }}
        when 'total' then 'Totalt'
        when 'female' then case when {{ adult }} then 'Kvinnor' else 'Flickor' end
        when 'male' then case when {{ adult }} then 'Män' else 'Pojkar' end
    end
{%- endmacro %}

{#- A period as a date for BI tools' date axes: 1 January of its last year (period_end). -#}
{% macro period_date(period_end) -%}
    make_date(cast({{ period_end }} as integer), 1, 1)
{%- endmacro %}
