
    
      
    

    create  table
      "build"."mart"."meta_source_status__dbt_tmp"
  
  (
    source varchar not null,
    source_ref varchar not null,
    table_key varchar,
    verified boolean,
    status varchar not null,
    reason varchar,
    failing_since timestamp with time zone,
    last_good_fetch timestamp with time zone,
    landing_batch varchar,
    rows integer,
    failed_indicators varchar
    
    )
 ;
    
    
    insert into "build"."mart"."meta_source_status__dbt_tmp" 
  (
    
      
      
      source ,
    
      
      
      source_ref ,
    
      
      
      table_key ,
    
      
      
      verified ,
    
      
      
      status ,
    
      
      
      reason ,
    
      
      
      failing_since ,
    
      
      
      last_good_fetch ,
    
      
      
      landing_batch ,
    
      
      
      rows ,
    
      
      
      failed_indicators 
    
  )
 (
      
    select source, source_ref, table_key, verified, status, reason, failing_since, last_good_fetch, landing_batch, rows, failed_indicators
    from (
        -- One row per catalogued PxWeb table and Kolada KPI: fresh, stale (its fetch fails; the mart
-- keeps the last good batch) or failed (no value in the mart), with the reason.
with statuses as (
    select * from "build"."raw"."pxweb_status"
    union all
    select * from "build"."raw"."kolada_status"
)

select
    source,
    source_ref,
    table_key,
    verified,
    status,
    reason,
    failing_since,
    last_good_fetch,
    landing_batch,
    rows,
    failed_indicators
from statuses
    ) as model_subq
    );
  