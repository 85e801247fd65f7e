select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better
from {{ source('survey', 'survey_indicators') }}
