"""Two GE 1.x costs avoided: modules imported that no suite here uses, and an expectation's
configuration built again for every keyword read.

``import great_expectations`` registers every expectation GE has, and two of them import
``scipy.stats`` and ``altair`` at module level (the distribution tests, the KL divergence and
its chart): 1.4 s of the 2.8 s GE takes to import, in every run process that checks data and in
every test worker. No suite here uses those expectations; ``defer_unused_imports`` (run when
the ``expectations`` package is imported, before GE is) puts a stand-in for each in ``sys.modules``
that imports the real module when first used, so a suite that did use one would still get it.

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
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

DEFERRED = ("scipy.stats", "altair")  # imported by GE expectations no suite uses


class _Deferred(types.ModuleType):
    """A module that stands in for one not imported yet, until an attribute of it is read.

    Not ``importlib.util.LazyLoader``: its module loads as soon as an import statement looks
    it up (``import`` reads ``__spec__``), which every ``import altair`` in GE does at once.
    Here ``__spec__`` and ``__name__`` are the stand-in's own; any other attribute imports the
    real module (in its place in ``sys.modules``) and is read from it from then on."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


@functools.cache
def defer_unused_imports() -> None:
    """Stand-ins for the ``DEFERRED`` modules not imported yet (``_Deferred``)."""
    for name in DEFERRED:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        module = _Deferred(name)
        module.__spec__ = spec
        sys.modules[name] = module


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
