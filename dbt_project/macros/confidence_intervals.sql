{#- 95 % confidence intervals the mart computes where the source publishes none
    (PHEindicatormethods style: one small macro per bound, z = 1.96 by default).
    Every macro is a plain SQL expression; NULL in gives NULL out. -#}

{#- Wilson score interval for a proportion, lower bound.
    x = n·p successes of n, p in 0..1:
        low = (2x + z² − z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))
    Source: Wilson EB (1927), J Am Stat Assoc 22:209-212; Newcombe RG (1998), Stat Med
    17:857-872, method 3; PHEindicatormethods::wilson_lower. p = 0 gives exactly 0.
    Returned as a proportion (0..1); the mart multiplies by 100 for percentages. -#}
{% macro wilson_low(p, n, z=1.96) -%}
    case when {{ n }} > 0 and {{ p }} between 0 and 1 then
        greatest(0.0, (2 * {{ n }} * {{ p }} + {{ z }}^2
            - {{ z }} * sqrt({{ z }}^2 + 4 * {{ n }} * {{ p }} * (1 - {{ p }})))
            / (2 * ({{ n }} + {{ z }}^2)))
    end
{%- endmacro %}

{#- Wilson score interval for a proportion, upper bound:
        high = (2x + z² + z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))
    Source as wilson_low (PHEindicatormethods::wilson_upper). p = 1 gives exactly 1. -#}
{% macro wilson_high(p, n, z=1.96) -%}
    case when {{ n }} > 0 and {{ p }} between 0 and 1 then
        least(1.0, (2 * {{ n }} * {{ p }} + {{ z }}^2
            + {{ z }} * sqrt({{ z }}^2 + 4 * {{ n }} * {{ p }} * (1 - {{ p }})))
            / (2 * ({{ n }} + {{ z }}^2)))
    end
{%- endmacro %}

{#- Byar's approximation to the exact Poisson interval of an observed count O, lower bound:
        low = O · (1 − 1/(9·O) − z/(3·sqrt(O)))³,   0 when O = 0
    Source: Breslow NE, Day NE (1987), Statistical Methods in Cancer Research vol. II, IARC,
    p. 69; PHEindicatormethods::byars_lower. Divide by the population (× 1,000) for the
    interval of a rate. -#}
{% macro byar_low(o, z=1.96) -%}
    case
        when {{ o }} = 0 then 0.0
        when {{ o }} > 0 then {{ o }} * (1 - 1 / (9 * {{ o }}) - {{ z }} / (3 * sqrt({{ o }})))^3
    end
{%- endmacro %}

{#- Byar's upper bound:  high = (O + 1) · (1 − 1/(9·(O + 1)) + z/(3·sqrt(O + 1)))³
    Source as byar_low (PHEindicatormethods::byars_upper). -#}
{% macro byar_high(o, z=1.96) -%}
    case
        when {{ o }} >= 0 then ({{ o }} + 1) * (1 - 1 / (9 * ({{ o }} + 1)) + {{ z }} / (3 * sqrt({{ o }} + 1)))^3
    end
{%- endmacro %}
