"""One typed settings object; the CLI and the flows read only this.

Every field has a default and a description. Values come from (highest first) the
arguments passed in code or on the command line, `COHORTSCAN_*` environment variables,
then the defaults below. Relative paths resolve from the project root, never from the
current working directory.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"

# Nothing leaves the building: usage statistics and telemetry of Great Expectations and
# Prefect are off in every process cohortscan starts (the CLI sets these in its own
# environment, which the temporary Prefect server and every subprocess inherit; the
# README names them for `prefect server start` and a worker, and pyproject.toml's
# [tool.prefect] turns the server's off for any prefect command run from the project).
NO_TELEMETRY_ENV = {
    "GX_ANALYTICS_ENABLED": "False",  # Great Expectations usage statistics
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the Prefect server's telemetry service
    "DO_NOT_TRACK": "1",  # Prefect's SDK analytics (prefect/_internal/analytics)
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",  # run telemetry to Prefect Cloud
}

# A generated sample drop records the date it is anchored on beside its files (written by
# sample_drops/generator.py; a real drop has no such file).
SAMPLE_AS_OF_FILE = "sample-as-of.txt"


def sample_as_of(extracts: Path) -> date | None:
    """The date a generated sample drop is anchored on, None for any other drop."""
    path = extracts / SAMPLE_AS_OF_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{path}: {text!r} is not a date (expected YYYY-MM-DD)") from None


class Settings(BaseSettings):
    """Where cohortscan reads, writes and what it evaluates."""

    model_config = SettingsConfigDict(env_prefix="COHORTSCAN_", extra="forbid")

    extracts: Path = Field(default=Path("data/sample"), description="Drop folder holding the extract files.")
    extracts_format: Literal["contract", "omop", "fhir"] | None = Field(
        default=None,
        description="Form of the drop: contract files, an OMOP CDM or FHIR R4; None: told from its files.",
    )
    warehouse: Path = Field(default=Path("warehouse/cohortscan.duckdb"), description="DuckDB warehouse file.")
    out: Path = Field(default=Path("exports"), description="Root folder of the exports.")
    trials_dir: Path = Field(
        default=SQL_DIR / "trials", description="Folder holding one sub-folder per trial."
    )
    trials: list[str] | None = Field(
        default=None, description="Trial ids to evaluate; None evaluates every trial found."
    )
    as_of: date = Field(
        default_factory=date.today,
        description="The screening date criteria are evaluated on (default: today; for a "
        f"generated sample drop, the date its {SAMPLE_AS_OF_FILE} records).",
    )
    full_refresh: bool = Field(
        default=False,
        description="Declare the drop a full refresh: facts absent from it are retired.",
    )
    full: bool = Field(
        default=False,
        description="Stage, check and evaluate every patient, reusing nothing of earlier runs "
        "(by default a night's delta re-stages and checks only its new loads' patients, and "
        "evaluates only the patients with new rows, screening events or a result due to "
        "change by time).",
    )
    fhir_site_extension: str | None = Field(
        default=None,
        description="FHIR drops: the URL of the Patient extension that holds the patient's site "
        "(its valueString, valueCode, valueIdentifier.value or valueReference id); None: "
        "managingOrganization's id is the site.",
    )
    fhir_default_site: str | None = Field(
        default=None,
        description="FHIR drops: the site of a Patient with neither the site extension nor a "
        "managingOrganization; None: the drop folder's name.",
    )
    min_cell_count: int = Field(
        default=11,
        ge=1,
        description="Small-count suppression in feasibility reports: a count from 1 to "
        "min_cell_count - 1 is shown as '<min_cell_count' (e.g. '<11').",
    )
    dq_batch_rows: int = Field(
        default=250_000,
        ge=1,
        description="Data-quality gate: rows per batch streamed from DuckDB to Great "
        "Expectations; memory grows with it, the results do not change.",
    )
    duckdb_memory_limit: str = Field(
        default="1GB",
        pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory limit per connection (e.g. 1GB): past it, joins, sorts and "
        "windows spill to '<warehouse>.tmp' beside the warehouse instead of growing.",
    )
    lock_wait_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a scan waits for another scan of the same warehouse to end before "
        "it is refused (0: refused at once).",
    )
    private_group: str | None = Field(
        default=None,
        description="Group that may read the warehouse and the patient-level exports besides "
        "their owner (files 0640, folders 0750); None: the owner only (0600, 0700).",
    )
    schedule_cron: str = Field(
        default="0 2 * * *", description="Cron schedule of the nightly deployment (default 02:00)."
    )
    schedule_timezone: str | None = Field(
        default=None,
        description="IANA time zone of the schedule, e.g. Europe/Zurich; None: this machine's zone.",
    )

    @field_validator("extracts", "warehouse", "out", "trials_dir")
    @classmethod
    def _resolve_from_root(cls, value: Path) -> Path:
        value = value.expanduser()
        return value if value.is_absolute() else (PROJECT_ROOT / value)

    @model_validator(mode="after")
    def _sample_screens_on_its_own_date(self) -> Settings:
        """A sample drop's results are those of its own date, not today's: with no as-of
        given (argument or COHORTSCAN_AS_OF), it screens on the date it records."""
        if "as_of" not in self.model_fields_set and (anchored := sample_as_of(self.extracts)):
            self.as_of = anchored
        return self
