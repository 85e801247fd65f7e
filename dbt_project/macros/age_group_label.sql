{% macro age_group_label(age_group) -%}
{#- An age group in Swedish, as the source means it: 'ak8' -> 'Åk 8', 'gy2' -> 'Gy 2',
    '13' -> '13 år', '13-15' -> '13–15 år'; 'total' (the indicator's whole population) -> NULL. -#}
case
    when {{ age_group }} = 'total' then null
    when regexp_full_match({{ age_group }}, 'ak[0-9]') then 'Åk ' || substr({{ age_group }}, 3)
    when regexp_full_match({{ age_group }}, 'gy[0-9]') then 'Gy ' || substr({{ age_group }}, 3)
    when regexp_full_match({{ age_group }}, '[0-9]+-[0-9]+') then replace({{ age_group }}, '-', '–') || ' år'
    when regexp_full_match({{ age_group }}, '[0-9]+') then {{ age_group }} || ' år'
    else {{ age_group }}
end
{%- endmacro %}
