"""A configured Prefect API is used as it is: no temporary server, no setting changed."""

from __future__ import annotations

import os


def test_a_configured_prefect_api_is_used_as_is():
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

    from pipelines.run.prefect_api import prefect_api

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        before = dict(os.environ)
        with prefect_api() as api:
            assert not api.temporary
            api.ready()  # returns at once: nothing to wait for
            assert PREFECT_API_URL.value() == "http://127.0.0.1:9/api"
            assert PREFECT_LOGGING_TO_API_ENABLED.value() is True
            assert dict(os.environ) == before
