"""Running the pipeline: the Prefect flows (`flows`), run history (`history`), re-scan reuse
(`reuse`), the Prefect API of a run (`prefect_api`), the nightly deployment (`deploy`) and the
console log filter (`logfilter`, `logging.yml`)."""
