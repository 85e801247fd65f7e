{#- Trend tests over a series' latest points: aggregate expressions (use with GROUP BY), each
    giving a z statistic whose sign is the direction of the trend; |z| > 1.96 is significant at
    the 5 % level (two-sided). NULL when the statistic is undefined (fewer than two distinct
    time points, no variation). -#}

{#- Chi-square test for trend in proportions (Cochran–Armitage), for points whose numerator r
    and denominator n are known, with time scores t:
        N = Σn,  p̄ = Σr / N,  T = Σ t·r − p̄·Σ t·n,
        Var(T) = p̄(1 − p̄)·(Σ n·t² − (Σ n·t)² / N),  z = T / sqrt(Var(T)),  χ²(1) = z²
    Source: Armitage P (1955), Biometrics 11:375-386; Altman DG (1991), Practical Statistics for
    Medical Research, 10.7.4; the test Fingertips applies to the latest five points of a
    proportion. -#}
{% macro chi_square_trend_z(t, r, n) -%}
    (sum({{ t }} * {{ r }}) - sum({{ r }}) / sum({{ n }}) * sum({{ t }} * {{ n }}))
    / nullif(sqrt(
        (sum({{ r }}) / sum({{ n }})) * (1 - sum({{ r }}) / sum({{ n }}))
        * (sum({{ n }} * {{ t }} * {{ t }}) - sum({{ n }} * {{ t }})^2 / sum({{ n }}))
    ), 0)
{%- endmacro %}

{#- Weighted least squares slope of y on time t with known variances, weights w = 1/se²
    (se from each point's 95 % interval: (high − low) / (2·1.96)):
        D = Σw·t² − (Σw·t)² / Σw,  b = (Σw·t·y − Σw·t·Σw·y / Σw) / D,
        se(b) = 1 / sqrt(D),  z = b / se(b)
    The variances are taken as known (scale fixed at 1, not estimated from the residuals), as
    in inverse-variance meta-regression. Source: Draper NR, Smith H (1998), Applied Regression
    Analysis, 9.2; Hedges LV, Olkin I (1985), Statistical Methods for Meta-Analysis, ch. 8. -#}
{% macro wls_trend_z(t, y, w) -%}
    (sum({{ w }} * {{ t }} * {{ y }}) - sum({{ w }} * {{ t }}) * sum({{ w }} * {{ y }}) / sum({{ w }}))
    / nullif(sqrt(sum({{ w }} * {{ t }} * {{ t }}) - sum({{ w }} * {{ t }})^2 / sum({{ w }})), 0)
{%- endmacro %}
