"""The project's assets on Dagster's default multiprocess executor, for the executor benchmark."""

from dagster import AssetSelection, Definitions, define_asset_job, multiprocess_executor

from orchestration.definitions import ASSETS, defs

refresh_mart_multiprocess = define_asset_job(
    "refresh_mart_multiprocess",
    selection=AssetSelection.all(),
    executor_def=multiprocess_executor,
)

defs = Definitions(assets=ASSETS, jobs=[refresh_mart_multiprocess], resources=defs.resources)
