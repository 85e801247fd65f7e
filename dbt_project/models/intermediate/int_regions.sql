-- Kolada's municipality list on SCB-style region codes, with level and county.
with kolada as (
    select
        kolada_region_id,
        {{ kolada_region_code('kolada_region_id') }} as region_code,
        region_name,
        kolada_type
    from {{ ref('stg_kolada__municipalities') }}
    where kolada_type in ('K', 'L')
)

select
    region_code,
    region_name,
    {{ region_level('region_code') }} as region_level,
    case
        when region_code = '00' then null
        else left(region_code, 2)
    end as county_code,
    kolada_region_id
from kolada
