"""Three GE 1.x costs avoided: modules imported that no suite here uses, an expectation's
configuration built again for every keyword read, and the config variables file read again for
every context variable read.

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
everything they return are GE's own.

A file context reads its ``uncommitted/config_variables.yml`` (and YAML-parses it) each time one
of its variables is read, about 16 times a suite: 9 % of the suites' CPU (cProfile of
``bench/ge_suites.py``). ``read_config_variables_once`` keeps what GE read while the file (its
inode, size and modification time) and the environment are the same; a changed file or
variable is read again. ``bench/ge_suites.py`` measures the suites of a run.
"""

from __future__ import annotations

import functools
import importlib.util
import os
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


@functools.cache
def read_config_variables_once() -> None:
    """Patch GE's config variables provider (once per process) to read an unchanged file once."""
    from great_expectations.core.config_provider import (
        _ConfigurationVariablesConfigurationProvider,
        _EnvironmentConfigurationProvider,
    )

    provider = _ConfigurationVariablesConfigurationProvider
    read = provider.get_values
    kept: dict[tuple[Any, ...], dict[str, str]] = {}

    def get_values(self: Any) -> dict[str, str]:
        variables = _EnvironmentConfigurationProvider().get_values()  # what GE substitutes from
        environment = tuple(sorted(variables.items()))
        path = self._substitutor.substitute_config_variable(self._config_variables_file_path, variables)
        if not os.path.isabs(path):  # as GE resolves it
            path = os.path.join(self._root_directory or os.curdir, path)
        try:
            stat = os.stat(path)
            identity: tuple[int, ...] | None = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError:
            identity = None
        key = (path, identity, environment)
        if key not in kept:
            kept.clear()  # one file and environment at a time is all a run reads
            kept[key] = read(self)
        return dict(kept[key])

    get_values.__wrapped__ = read  # type: ignore[attr-defined]
    provider.get_values = get_values
