
select source
from "build"."mart"."fct_indicator_value"
where source is not null
    and not regexp_full_match(source, '^(kolada|scb|fohm|survey:[a-z0-9_]+)$')
