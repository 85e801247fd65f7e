-- SKR's kommungrupp of each municipality, as Kolada publishes it under /municipality_groups.
-- A Kolada group is a kommungrupp when its title names one of SKR's nine groups (seed
-- kommungrupper, column title_pattern); "Liknande kommuner ..." groups and groups titled with a
-- main group (huvudgrupp) are not. When a title matches several names the longest wins
-- ("Lågpendlingskommun nära större stad", not "Större stad"); when a municipality is in groups
-- of several classifications, the newest year in the title wins.
with kommungrupper as (
    select kommungrupp_code, title_pattern, lower(main_group_sv) as main_group_title
    from "build"."main"."kommungrupper"
),

groups as (
    select distinct
        kolada_group_id,
        kolada_group_title,
        lower(kolada_group_title) as title,
        case
        when length(kolada_region_id) = 4 and starts_with(kolada_region_id, '00') then substr(kolada_region_id, 3, 2)
        else kolada_region_id
    end as region_code
    from "build"."main"."stg_kolada__municipality_groups"
    where not starts_with(lower(kolada_group_title), 'liknande kommuner')
),

candidates as (
    select
        g.region_code,
        g.kolada_group_id,
        g.kolada_group_title,
        k.kommungrupp_code,
        length(regexp_extract(g.title, k.title_pattern, 0)) as match_length,
        try_cast(nullif(regexp_extract(g.kolada_group_title, '(19|20)[0-9]{2}', 0), '') as integer)
            as classification_year
    from groups as g
    inner join kommungrupper as k
        on regexp_matches(g.title, k.title_pattern)
    where not exists (
        select 1 from kommungrupper as m where contains(g.title, m.main_group_title)
    )
),

per_group as (
    select *
    from candidates
    qualify row_number() over (
        partition by region_code, kolada_group_id order by match_length desc, kommungrupp_code
    ) = 1
),

per_code as (
    select
        region_code,
        kommungrupp_code,
        classification_year,
        min(kolada_group_id) as kolada_group_id,
        min(kolada_group_title) as kolada_group_title
    from per_group
    group by region_code, kommungrupp_code, classification_year
)

select
    region_code,
    kommungrupp_code,
    classification_year,
    kolada_group_id,
    kolada_group_title
from per_code
qualify rank() over (partition by region_code order by classification_year desc nulls last) = 1