select
    region_code,
    year,
    age,
    sex,
    population,
    fetched_at
from {{ ref('int_population') }}
