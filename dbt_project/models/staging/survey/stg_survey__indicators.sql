{#- source_title: the survey's title from its spec (raw tables loaded before it was kept have none) -#}
{%- set columns = adapter.get_columns_in_relation(source('survey', 'survey_indicators')) | map(attribute='name') | list -%}
select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    {% if 'source_title' in columns %}source_title{% else %}cast(null as varchar) as source_title{% endif %}
from {{ source('survey', 'survey_indicators') }}
