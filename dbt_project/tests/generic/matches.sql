{#- Every non-NULL value matches a regular expression. -#}
{% test matches(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endtest %}
