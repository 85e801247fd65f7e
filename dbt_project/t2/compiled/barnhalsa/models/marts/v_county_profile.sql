-- One row per county, indicator and age group for the indicator's latest period with a county
-- value: the value by sex, the sex gap, Sweden's value and the county's rank among the counties
-- (1 = best, respecting higher_is_better; ties share a rank, the next rank is skipped). Every
-- county appears once (Gotland as county 09, never again as municipality 0980); a county without
-- a value keeps a NULL value and a NULL rank. Context indicators (no direction) are not ranked.
-- A count is ranked on its rate per 1,000 (the headcount ranks counties by size), and not at
-- all where it has no rate; its diff_sweden is the difference of the rates.
with counties as (
    select region_code, region_name, same_area_as
    from "build"."mart"."dim_region"
    where region_level = 'county'
),

facts as (
    select
        indicator_id,
        region_code,
        period_start,
        period_end,
        sex,
        age_group,
        value,
        ci_low,
        ci_high,
        rate_per_1000,
        status,
        status_label
    from "build"."mart"."fct_indicator_value"
),

latest as (
    select f.indicator_id, f.age_group, f.period_start, f.period_end
    from facts as f
    inner join counties as c
        on c.region_code = f.region_code
    where f.value is not null
    qualify row_number() over (
        partition by f.indicator_id, f.age_group order by f.period_end desc, f.period_start desc
    ) = 1
),

wide as (
    select
        l.indicator_id,
        l.age_group,
        l.period_start,
        l.period_end,
        c.region_code,
        c.region_name,
        c.same_area_as,
        max(f.value) filter (where f.sex = 'total') as value_total,
        max(f.ci_low) filter (where f.sex = 'total') as ci_low_total,
        max(f.ci_high) filter (where f.sex = 'total') as ci_high_total,
        max(f.status) filter (where f.sex = 'total') as status_total,
        max(f.status_label) filter (where f.sex = 'total') as status_label_total,
        max(f.rate_per_1000) filter (where f.sex = 'total') as rate_total,
        max(f.value) filter (where f.sex = 'female') as value_female,
        max(f.status) filter (where f.sex = 'female') as status_female,
        max(f.rate_per_1000) filter (where f.sex = 'female') as rate_female,
        max(f.value) filter (where f.sex = 'male') as value_male,
        max(f.status) filter (where f.sex = 'male') as status_male,
        max(f.rate_per_1000) filter (where f.sex = 'male') as rate_male
    from latest as l
    cross join counties as c
    left join facts as f
        on f.indicator_id = l.indicator_id
        and f.region_code = c.region_code
        and f.period_start = l.period_start
        and f.period_end = l.period_end
        and f.age_group = l.age_group
    group by all
),

sweden as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        max(value) filter (where sex = 'total') as sweden_total,
        max(rate_per_1000) filter (where sex = 'total') as sweden_rate_total,
        max(value) filter (where sex = 'female') as sweden_female,
        max(value) filter (where sex = 'male') as sweden_male
    from facts
    where region_code = '00'
    group by all
),

measured as (
    select
        w.*,
        i.unit,
        i.higher_is_better,
        i.title,
        i.protective_factor,
        -- the measure ranked: the value, or for a count its rate per 1,000
        case when i.unit = 'count' then w.rate_total else w.value_total end as m_total,
        case when i.unit = 'count' then w.rate_female else w.value_female end as m_female,
        case when i.unit = 'count' then w.rate_male else w.value_male end as m_male
    from wide as w
    inner join "build"."mart"."dim_indicator" as i
        on i.indicator_id = w.indicator_id
),

ranked as (
    select
        w.*,
        w.title as indicator_title,
        case when w.m_total is not null and w.higher_is_better is not null then
            rank() over (
                partition by w.indicator_id, w.age_group
                order by case when w.higher_is_better then -w.m_total else w.m_total end
                nulls last
            )
        end as rank_total,
        case when w.m_female is not null and w.higher_is_better is not null then
            rank() over (
                partition by w.indicator_id, w.age_group
                order by case when w.higher_is_better then -w.m_female else w.m_female end
                nulls last
            )
        end as rank_female,
        case when w.m_male is not null and w.higher_is_better is not null then
            rank() over (
                partition by w.indicator_id, w.age_group
                order by case when w.higher_is_better then -w.m_male else w.m_male end
                nulls last
            )
        end as rank_male,
        count(w.m_total) over (partition by w.indicator_id, w.age_group) as n_counties_with_value
    from measured as w
)

select
    r.region_code as county_code,
    r.region_name as county_name,
    r.same_area_as,
    r.indicator_id,
    r.indicator_title,
    r.protective_factor,
    r.unit,
    r.higher_is_better,
    r.age_group,
    r.period_start,
    r.period_end,
    case
        when r.period_end = r.period_start then cast(r.period_start as varchar)
        else cast(r.period_start as varchar) || '-' || cast(r.period_end as varchar)
    end as period_label,
    r.value_total as value,
    r.ci_low_total as ci_low,
    r.ci_high_total as ci_high,
    r.status_total as status,
    r.rate_total as rate_per_1000,
    r.rank_total as rank,
    r.n_counties_with_value,
    r.value_female,
    r.status_female,
    r.rank_female,
    r.value_male,
    r.status_male,
    r.rank_male,
    round(r.value_female - r.value_male, 6) as sex_gap,
    s.sweden_total as sweden_value,
    s.sweden_rate_total as sweden_rate_per_1000,
    round(r.m_total - case when r.unit = 'count' then s.sweden_rate_total else s.sweden_total end, 6) as diff_sweden,
    s.sweden_female,
    s.sweden_male,
    di.protective_factor_label,
    r.status_label_total as status_label,
    make_date(cast(r.period_end as integer), 1, 1) as period_date
from ranked as r
left join sweden as s
    on s.indicator_id = r.indicator_id
    and s.age_group = r.age_group
    and s.period_start = r.period_start
    and s.period_end = r.period_end
left join "build"."mart"."dim_indicator" as di
    on di.indicator_id = r.indicator_id