-- Survey results with the mart's privacy rule applied, whatever the file says:
--   suppressed:    fewer respondents than the survey's threshold (never below 10), or a response
--                  rate under its threshold (never below 50 %) where the file gives n asked;
--   complementary: no suppressed value may follow from the shown values and their n (below);
--   low_precision: a value shown on fewer respondents than low_precision_below (never below 30).
-- A suppressed cell keeps n but loses value and CI.
--
-- Complementary suppression. A block is one indicator, region and period; its cells are the
-- file's (sex, age group) rows. A margin is a set of cells whose n-weighted values sum to a total:
--   the sexes of one age group (female, male and the total), always;
--   the age groups of one sex (each grade or age and the total over ages), where the file gives a
--   total over ages (age_group 'total') in the block.
-- A cell is hidden when it is suppressed and has respondents (a suppressed cell with n = 0 adds 0
-- to every total and hides nothing). When exactly one cell of a margin is hidden (the total
-- counts as a cell), the margin's next smallest shown cell by n is suppressed too (a part before
-- the total, then female, male or the lower age group on a tie). A cell the file leaves out
-- inside the block's grid (a sex and an age group the block has elsewhere) is taken as known to
-- the reader, as it may be computable from its other margin (exactly so when its group is empty);
-- when such a hole leaves a margin's single hidden cell with no shown cell to hide beside it,
-- every cell of the block is suppressed.
--
-- The fixed point is a recursive CTE: each pass applies the rule to every margin at once, and a
-- pass that changes nothing ends the recursion. Cells are only ever added, so it ends after at
-- most as many passes as a block has cells (on the example: 2 passes; with its totals over
-- grades: 3). Hiding a cell for one margin can leave the other margin through it with one hidden
-- cell, which the next pass handles.
with recursive cells as (
    select
        *,
        -- never NULL: a cell without n is suppressed, one without n asked is judged on n alone
        coalesce(n < greatest(min_respondents, 10), true)
        or coalesce(n_asked > 0 and 100.0 * n / n_asked < greatest(min_response_rate, 50.0), false) as too_few,
        -- the block's grid: the sexes and age groups it has, and whether it gives their totals
        count(distinct sex) over block as block_sexes,
        count(distinct age_group) over block as block_ages,
        bool_or(sex = 'total') over block as has_sex_total,
        bool_or(age_group = 'total') over block as has_age_margins
    from "build"."main"."stg_survey__values"
    window block as (partition by indicator_id, region_code, period_start, period_end)
),

passes as (
    select 0 as pass, too_few as suppressed, true as changed, cells.*
    from cells
    union all
    select
        * exclude (hides, unstable, sex_pick, age_pick, orphan, block_orphaned)
        replace (
            pass + 1 as pass,
            suppressed or sex_pick or age_pick or block_orphaned as suppressed,
            not suppressed and (sex_pick or age_pick or block_orphaned) as changed
        )
    from (
        select
            *,
            bool_or(orphan) over (partition by indicator_id, region_code, period_start, period_end) as block_orphaned
        from (
            select
                *,
                not suppressed
                and count(*) filter (where hides) over sex_margin = 1
                and row_number() over (sex_margin_by_state order by n, sex = 'total', sex) = 1 as sex_pick,
                not suppressed
                and has_age_margins
                and count(*) filter (where hides) over age_margin = 1
                and row_number() over (age_margin_by_state order by n, age_group = 'total', age_group) = 1
                as age_pick,
                -- a margin with its total in the grid, one hidden cell, no shown cell and a hole
                (
                    has_sex_total
                    and count(*) filter (where hides) over sex_margin = 1
                    and count(*) filter (where not suppressed) over sex_margin = 0
                    and count(*) over sex_margin < block_sexes
                )
                or (
                    has_age_margins
                    and count(*) filter (where hides) over age_margin = 1
                    and count(*) filter (where not suppressed) over age_margin = 0
                    and count(*) over age_margin < block_ages
                ) as orphan
            from (
                select
                    *,
                    suppressed and coalesce(n > 0, false) as hides,
                    bool_or(changed) over () as unstable
                from passes
            )
            where unstable
            window
                sex_margin as (partition by indicator_id, region_code, period_start, period_end, age_group),
                sex_margin_by_state as (
                    partition by indicator_id, region_code, period_start, period_end, age_group, suppressed
                ),
                age_margin as (partition by indicator_id, region_code, period_start, period_end, sex),
                age_margin_by_state as (
                    partition by indicator_id, region_code, period_start, period_end, sex, suppressed
                )
        )
    )
),

ruled as (
    select *
    from passes
    qualify pass = max(pass) over ()
)

select
    indicator_id,
    region_code,
    period_start,
    period_end,
    sex,
    age_group,
    case when not suppressed then value end as value,
    case when not suppressed then ci_low end as ci_low,
    case when not suppressed then ci_high end as ci_high,
    n,
    case
        when suppressed then 'suppressed'
        when value is null then 'missing'
        when n < greatest(low_precision_below, 30) then 'low_precision'
        else 'ok'
    end as status,
    source,
    source_ref,
    request_url,
    fetched_at,
    body_sha256,
    cast(null as varchar) as source_marker
from ruled