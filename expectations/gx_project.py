"""The Great Expectations project in a warehouse's ``quality/`` folder: its context, the suites
and validation definitions saved in it, and the Data Docs site there (GE 1.x).

GE is imported inside the functions (about 5 s). Two of GE's costs are avoided here, each
measured on the 14 suites of a run in a warehouse that has run before (``bench/ge_suites.py``):

- GE's ``add_or_update`` of a suite compares every new expectation with every saved one
  (``list.index``, each comparison a pydantic dump of both), and saving a validation
  definition saves its suite again: an unchanged suite and definition are now used as saved.
- Each suite's Data Docs rebuild the index from every kept result, read again from its JSON
  file: a result, written once and never changed, is read once per process (``_cache_results``).
"""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path
from typing import Any

DATASOURCE = "barnhalsa"
SITE = "barnhalsa_quality"
KEEP_RESULTS = 3  # validation results kept per suite in the Data Docs


def validation_definition(context: Any, suite_name: str, expectations: list[Any]) -> Any:
    """The validation definition of suite ``suite_name`` with ``expectations``, on a whole
    dataframe: the saved one when its suite holds the same expectations, else saved anew."""
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    datasource = _get_or_add(context.data_sources.get, context.data_sources.add_pandas, DATASOURCE)
    asset = _get_or_add(datasource.get_asset, datasource.add_dataframe_asset, suite_name)
    batch = _get_or_add(asset.get_batch_definition, asset.add_batch_definition_whole_dataframe, "whole")
    name = f"validate {suite_name}"
    try:
        saved = context.validation_definitions.get(name)
    except DataContextError:
        saved = None
    if saved is not None and saved.data.id == batch.id and _same(saved.suite.expectations, expectations):
        return saved
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )


def _same(saved: list[Any], expectations: list[Any]) -> bool:
    """The same expectations in the same order, their GE ids aside (GE's own equality, one pair
    at a time instead of each against all)."""
    return len(saved) == len(expectations) and all(
        _comparable(a) == _comparable(b) for a, b in zip(saved, expectations, strict=True)
    )


def _comparable(expectation: Any) -> dict[str, Any]:
    fields = expectation.dict(exclude={"rendered_content", "id"})
    for attr in ("notes", "meta"):  # as GE compares them: falsy is the same
        fields[attr] = fields.pop(attr, None) or None
    return fields


def _cache_results(context: Any) -> None:
    """Read each validation result of ``context`` from its file once: the index of the Data Docs
    (``DefaultSiteIndexBuilder``) reads every kept result for every suite's update, 14 times a
    run. A result's key holds its run and time, and a result is never rewritten; a removed one
    is no longer listed, so it is not asked for."""
    read = context.get_validation_result
    results: dict[tuple[Any, ...], Any] = {}

    def cached(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key not in results:
            found = read(*args, **kwargs)
            if not found:  # GE answers {} for no result: ask again next time
                return found
            results[key] = found
        return results[key]

    context.get_validation_result = cached


def _get_or_add(get: Any, add: Any, name: str) -> Any:
    try:
        return get(name)
    except (KeyError, LookupError, ValueError) as exc:
        if "not found" not in str(exc).lower() and not isinstance(exc, KeyError | LookupError):
            raise
        return add(name)


def context(quality_dir: Path | None) -> Any:
    """An ephemeral context, or a file context in ``quality_dir`` with the Data Docs site there."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if quality_dir is None:
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        return context
    quality_dir.mkdir(parents=True, exist_ok=True)
    config = quality_dir / "gx" / "great_expectations.yml"
    key = _config_key(config)
    if key is not None and _CONTEXTS.get(quality_dir.resolve(), (None,))[0] == key:
        return _CONTEXTS[quality_dir.resolve()][1]
    context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in run logs
    sites = context.variables.data_docs_sites or {}
    for site in sites:  # another site, or ours written for another folder (the warehouse moved)
        if site != SITE or sites[site].get("store_backend", {}).get("base_directory") != str(quality_dir):
            context.delete_data_docs_site(site)
    if SITE not in (context.variables.data_docs_sites or {}):
        context.add_data_docs_site(
            site_name=SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(quality_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    _cache_results(context)
    remember(quality_dir, context)
    return context


def remember(quality_dir: Path, context: Any) -> None:
    config = quality_dir / "gx" / "great_expectations.yml"
    _CONTEXTS[quality_dir.resolve()] = (_config_key(config), context)


# quality dir -> (its GE config file's identity when opened, the context): the 14 suites of a run
# share one context instead of reading the project's configuration 14 times (about 0.2 s each).
# A deleted, replaced or edited configuration opens a new one.
_CONTEXTS: dict[Path, tuple[tuple[int, int, int] | None, Any]] = {}


def _config_key(config: Path) -> tuple[int, int, int] | None:
    try:
        stat = config.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def update_docs(context: Any, quality_dir: Path, suite_name: str) -> Path:
    """Keep the newest results of this suite, render the newest one and the index."""
    _share_compiled_templates()
    store = context.validation_results_store
    keys = [k for k in store.list_keys() if k.expectation_suite_identifier.name == suite_name]
    keys.sort(key=lambda k: k.run_id.run_time)
    for old in keys[:-KEEP_RESULTS]:
        store.remove_key(old)
        page = quality_dir.joinpath("validations", *old.to_tuple()[:-1])
        shutil.rmtree(page, ignore_errors=True)
    started = time.time() - 1  # a coarse file clock never leaves a page written now behind
    context.build_data_docs(site_names=[SITE], resource_identifiers=keys[-1:])
    from expectations.offline_docs import make_offline

    # the pages load their CSS and JS from the warehouse folder, not CDNs
    make_offline(quality_dir, since=started)
    return quality_dir / "index.html"


@functools.cache
def _share_compiled_templates() -> None:
    """Compile GE's Data Docs templates once per process, not once per page.

    GE 1.x gives every page view (``DefaultJinjaView``) a new jinja ``Environment``, so each of
    the 14 suites of a run compiled the same templates again: 0.27 of the 0.4 s a suite's Data
    Docs took. Every view's environment gets one in-memory jinja bytecode cache (keyed by
    template name and source checksum, so a changed template compiles anew); the pages are the
    same (``tests/test_expectations.py`` renders them).
    """
    import jinja2
    from great_expectations.render.view import view

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    cache = MemoryBytecodeCache()
    init = view.DefaultJinjaView.__init__

    def init_with_cache(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.env.bytecode_cache = cache

    view.DefaultJinjaView.__init__ = init_with_cache
