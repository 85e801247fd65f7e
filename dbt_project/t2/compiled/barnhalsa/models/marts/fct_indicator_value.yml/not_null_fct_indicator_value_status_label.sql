
    
    



select status_label
from "build"."mart"."fct_indicator_value"
where status_label is null


