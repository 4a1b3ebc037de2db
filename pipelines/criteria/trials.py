"""Trials are folders: `sql/trials/<trial_id>/` with `trial.toml`, `diseases.sql`,
`criteria/*.sql` and `valuesets/*.csv`. This module finds and checks them.

Python names no criterion: everything a trial evaluates comes from its folder. A folder
that is out of step (a manifest entry without its SQL, a SQL file the manifest does
not list, a parameter the SQL uses but the manifest does not declare, a value set
missing or unused) is refused with a `TrialConfigError` naming the file.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import TrialConfigError

KINDS = ("inclusion", "exclusion")
_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
_PARAM_USE_RE = re.compile(r"param(?:_text)?\(\s*'([a-z0-9_]+)'\s*,\s*'([a-z0-9_]+)'\s*\)")
_VS_USE_RE = re.compile(r"\bvs\(\s*'([a-z0-9_]+)'\s*\)")
VALUESET_COLUMNS = ("code_system", "code", "display", "match", "category", "source")


@dataclass(frozen=True)
class Parameter:
    """One tunable value of a criterion, with its default from the manifest."""

    criterion_id: str
    name: str
    default: float | str
    description: str

    @property
    def key(self) -> str:
        return f"{self.criterion_id}.{self.name}"

    @property
    def is_number(self) -> bool:
        return not isinstance(self.default, str)

    def parse(self, text: str) -> float | str:
        """A what-if value for this parameter, checked against the default's type."""
        if not self.is_number:
            return text
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{self.key}={text!r} is not a number") from None
        if self.name.endswith("_days") and (value < 0 or value != int(value)):
            raise ValueError(f"{self.key}={text!r} must be a whole number of days >= 0")
        return value


@dataclass(frozen=True)
class Criterion:
    """One criterion of a trial as its manifest declares it."""

    id: str
    kind: str
    file: Path
    wording: str
    weight: float
    valuesets: tuple[str, ...]
    params: tuple[Parameter, ...]
    ordinal: int


@dataclass
class Trial:
    """A trial folder, loaded and checked."""

    id: str
    title: str
    folder: Path
    criteria: list[Criterion]
    valueset_files: dict[str, Path] = field(default_factory=dict)

    @property
    def parameters(self) -> dict[str, Parameter]:
        return {p.key: p for c in self.criteria for p in c.params}

    @property
    def diseases_file(self) -> Path:
        return self.folder / "diseases.sql"

    def checksums(self) -> dict[str, str]:
        """sha256 of every file that defines the trial (provenance for run.json)."""
        files = sorted(p for p in self.folder.rglob("*") if p.is_file())
        return {str(p.relative_to(self.folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def discover_trials(trials_dir: Path) -> list[str]:
    """The ids of every folder under `trials_dir` that holds a trial.toml."""
    if not trials_dir.is_dir():
        raise TrialConfigError(f"{trials_dir}: the trials folder does not exist")
    return sorted(p.parent.name for p in trials_dir.glob("*/trial.toml"))


def load_trial(trials_dir: Path, trial_id: str) -> Trial:
    """Load and check one trial folder."""
    folder = trials_dir / trial_id
    manifest = folder / "trial.toml"
    if not manifest.is_file():
        known = ", ".join(discover_trials(trials_dir)) or "none"
        raise TrialConfigError(f"unknown trial {trial_id!r} (trials found: {known})")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise TrialConfigError(f"{manifest}: not valid TOML ({err})") from None
    if data.get("id") != trial_id:
        raise TrialConfigError(f"{manifest}: id {data.get('id')!r} differs from the folder name {trial_id!r}")
    criteria = [_criterion(manifest, folder, entry, i) for i, entry in enumerate(data.get("criteria", []))]
    if not criteria:
        raise TrialConfigError(f"{manifest}: no [[criteria]] entries")
    trial = Trial(trial_id, str(data.get("title", trial_id)), folder, criteria)
    _check_one_to_one(manifest, trial)
    _check_valuesets(manifest, trial)
    if not trial.diseases_file.is_file():
        raise TrialConfigError(f"{trial.diseases_file}: missing (every trial defines patient_diseases)")
    return trial


def _criterion(manifest: Path, folder: Path, entry: dict, ordinal: int) -> Criterion:
    where = f"{manifest} criterion #{ordinal + 1}"
    missing = [k for k in ("id", "kind", "file", "wording") if k not in entry]
    if missing:
        raise TrialConfigError(f"{where}: missing key {missing[0]!r}")
    cid = entry["id"]
    if not isinstance(cid, str) or not _ID_RE.fullmatch(cid):
        raise TrialConfigError(f"{where}: id {cid!r} is not lower_snake_case")
    if entry["kind"] not in KINDS:
        raise TrialConfigError(f"{where} ({cid}): kind {entry['kind']!r} is not inclusion or exclusion")
    path = folder / entry["file"]
    if not path.is_file():
        raise TrialConfigError(f"{where} ({cid}): file {entry['file']} does not exist")
    weight = entry.get("weight", 1)
    if not isinstance(weight, int | float) or weight < 0:
        raise TrialConfigError(f"{where} ({cid}): weight {weight!r} must be a number >= 0")
    params = []
    for name, spec in entry.get("params", {}).items():
        if not _ID_RE.fullmatch(name) or not isinstance(spec, dict) or "default" not in spec:
            raise TrialConfigError(f"{where} ({cid}): parameter {name!r} needs a default")
        default = spec["default"]
        if isinstance(default, bool) or not isinstance(default, int | float | str):
            raise TrialConfigError(f"{where} ({cid}): parameter {name!r} default must be a number or text")
        params.append(Parameter(cid, name, default, str(spec.get("description", ""))))
    return Criterion(
        id=cid,
        kind=entry["kind"],
        file=path,
        wording=entry["wording"],
        weight=float(weight),
        valuesets=tuple(entry.get("valuesets", [])),
        params=tuple(params),
        ordinal=ordinal,
    )


def _check_one_to_one(manifest: Path, trial: Trial) -> None:
    ids = [c.id for c in trial.criteria]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise TrialConfigError(f"{manifest}: criterion {duplicated[0]!r} is listed twice")
    listed = {c.file.resolve() for c in trial.criteria}
    on_disk = {p.resolve() for p in (trial.folder / "criteria").glob("*.sql")}
    for extra in sorted(on_disk - listed):
        raise TrialConfigError(f"{extra}: SQL file not listed in {manifest.name}")
    declared = set(trial.parameters)
    for criterion in trial.criteria:
        expected = f"crit_{criterion.id}.sql"
        if criterion.file.name != expected:
            raise TrialConfigError(f"{criterion.file}: criterion {criterion.id} must live in {expected}")
        text = criterion.file.read_text(encoding="utf-8")
        for crit, name in _PARAM_USE_RE.findall(text):
            if f"{crit}.{name}" not in declared:
                raise TrialConfigError(
                    f"{criterion.file}: parameter {crit}.{name} is not declared in {manifest.name}"
                )


def _check_valuesets(manifest: Path, trial: Trial) -> None:
    folder = trial.folder / "valuesets"
    trial.valueset_files = {p.stem: p for p in sorted(folder.glob("*.csv"))}
    used: set[str] = set()
    sql_files = [c.file for c in trial.criteria] + [trial.diseases_file]
    for path in sql_files:
        used.update(_VS_USE_RE.findall(path.read_text(encoding="utf-8")) if path.is_file() else [])
    for criterion in trial.criteria:
        used.update(criterion.valuesets)
        for name in criterion.valuesets:
            if name not in trial.valueset_files:
                raise TrialConfigError(
                    f"{manifest} ({criterion.id}): value set {name!r} has no file valuesets/{name}.csv"
                )
    for name in sorted(used - set(trial.valueset_files)):
        raise TrialConfigError(f"{folder / (name + '.csv')}: value set read by the SQL is missing")
    for name in sorted(set(trial.valueset_files) - used):
        raise TrialConfigError(f"{trial.valueset_files[name]}: value set used by no criterion")
    for path in trial.valueset_files.values():
        header = path.read_text(encoding="utf-8").splitlines()[:1]
        columns = tuple(h.strip() for h in header[0].split(",")) if header else ()
        if columns[: len(VALUESET_COLUMNS)] != VALUESET_COLUMNS:
            raise TrialConfigError(
                f"{path}: header must start with {','.join(VALUESET_COLUMNS)} (found {','.join(columns)})"
            )
