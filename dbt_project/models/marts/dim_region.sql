select
    region_code,
    region_name,
    region_level,
    county_code
from {{ ref('int_regions') }}
