"""One GE 1.x cost avoided: an expectation's configuration built again for every keyword read.

``Expectation.configuration`` is a property that dumps the expectation (pydantic) and builds a
new ``ExpectationConfiguration`` on each access. GE's kwarg helpers read it once per key
(``_get_domain_kwargs``, ``_get_success_kwargs``, ``_get_success_kwarg``, all behind
``_get_runtime_kwargs``), several times per expectation and metric while a suite is validated:
36 % of ``graph_validate`` on the planted-fault suites of ``tests/test_expectations.py``
(py-spy). Inside one call of those helpers the expectation does not change, so the
configuration is built once per outermost call and read from there; the helpers themselves and
everything they return are GE's own. ``bench/ge_suites.py`` measures the suites of a run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

HELPERS = ("_get_runtime_kwargs", "_get_success_kwargs", "_get_domain_kwargs", "_get_success_kwarg")


@functools.cache
def build_configuration_once_per_call() -> None:
    """Patch ``Expectation`` (once per process) so that its kwarg helpers share one configuration."""
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.configuration.fget
    built: dict[int, Any] = {}  # id of an expectation inside a helper call -> its configuration

    def configuration(self: Any) -> Any:
        found = built.get(id(self))
        return build(self) if found is None else found

    def sharing(helper: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(helper)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            key = id(self)
            if key in built:  # a helper inside another: the outer call's configuration
                return helper(self, *args, **kwargs)
            built[key] = build(self)
            try:
                return helper(self, *args, **kwargs)
            finally:
                del built[key]

        return call

    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)
    for name in HELPERS:
        setattr(Expectation, name, sharing(getattr(Expectation, name)))
