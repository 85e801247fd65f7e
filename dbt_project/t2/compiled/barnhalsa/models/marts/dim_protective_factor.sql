select
    protective_factor,
    kind,
    label_sv,
    label_en,
    description,
    sort_order
from "build"."main"."protective_factors"