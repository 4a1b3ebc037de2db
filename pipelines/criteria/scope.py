"""Which criteria a parameter change can alter: a static reading of the trial's SQL.

A what-if re-evaluates only the criteria that read a changed parameter and keeps every
other criterion's stored rows. That is right only when nothing else reads the
parameter, so the reading is conservative: `criteria_reading` returns None ("not
certain": evaluate the whole trial) as soon as any of these holds (SQL comments aside,
string literals included):

- SQL shared by the criteria (the trial's `diseases.sql`, `sql/cohort/*.sql`,
  `sql/shared/*.sql`) calls `param`/`param_text` or names the `params` table, except
  the definitions of `param` and `param_text` themselves in `trial_macros.sql`;
- a criterion's SQL names the `params` table, calls `param`/`param_text` with anything
  but two string literals, runs SQL from a string (`query`, `query_table`), or reads
  another criterion's view or anything built from the criteria (`crit_*`,
  `criteria_results`, `cohort_*`, `whatif_*`).

Otherwise the criteria affected by `CRITERION.PARAM` are those whose SQL calls
`param('CRITERION', 'PARAM')` (one or several), plus CRITERION itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.criteria.trials import Criterion, Trial
from pipelines.settings import SQL_DIR

SHARED_SQL_DIRS = (SQL_DIR / "cohort", SQL_DIR / "shared")
TRIAL_MACROS = SQL_DIR / "cohort" / "trial_macros.sql"

_CALL_RE = re.compile(r"\bparam(?:_text)?\s*\(", re.IGNORECASE)
_LITERAL_CALL_RE = re.compile(
    r"\bparam(?:_text)?\s*\(\s*'([a-z0-9_]+)'\s*,\s*'([a-z0-9_]+)'\s*\)", re.IGNORECASE
)
_PARAMS_TABLE_RE = re.compile(r"\bparams\b", re.IGNORECASE)
_DYNAMIC_SQL_RE = re.compile(r"\bquery(?:_table)?\s*\(", re.IGNORECASE)
_DERIVED_RE = re.compile(
    r"\b(?:crit_[a-z0-9_]+|criteria_results|cohort_[a-z0-9_]+|whatif_[a-z0-9_]+)\b", re.I
)
_PARAM_MACRO_RE = re.compile(r"^\s*create\s+(?:or\s+replace\s+)?macro\s+param(?:_text)?\s*\(", re.I)


def strip_comments(sql: str) -> str:
    """The SQL without `--` and `/* */` comments; string literals and quoted names kept."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _statements(sql: str) -> list[str]:
    """Statements of a comment-free SQL text (split on ';', which our macros never quote)."""
    return [s for s in sql.split(";") if s.strip()]


def shared_sql_reads_params(trial: Trial) -> bool:
    """True when SQL shared by the criteria may read a parameter (see the module doc)."""
    files = [trial.diseases_file]
    for folder in SHARED_SQL_DIRS:
        files += sorted(folder.glob("*.sql"))
    for path in files:
        code = strip_comments(path.read_text(encoding="utf-8"))
        statements = _statements(code)
        if path.resolve() == TRIAL_MACROS.resolve():
            statements = [s for s in statements if not _PARAM_MACRO_RE.match(s)]
        for statement in statements:
            if _CALL_RE.search(statement) or _PARAMS_TABLE_RE.search(statement):
                return True
    return False


def _criterion_params(criterion: Criterion) -> set[str] | None:
    """The `CRITERION.PARAM` keys the criterion's SQL reads; None when not certain."""
    code = strip_comments(criterion.file.read_text(encoding="utf-8"))
    literal = _LITERAL_CALL_RE.findall(code)
    if len(literal) != len(_CALL_RE.findall(code)):
        return None
    if _PARAMS_TABLE_RE.search(code) or _DYNAMIC_SQL_RE.search(code) or _DERIVED_RE.search(code):
        return None
    return {f"{c.lower()}.{p.lower()}" for c, p in literal}


def criteria_reading(trial: Trial, keys: Iterable[str]) -> list[Criterion] | None:
    """The criteria whose results may change when the parameters `keys` change, in
    manifest order; None when that is not certain (evaluate the whole trial then)."""
    keys = set(keys)
    if shared_sql_reads_params(trial):
        return None
    declaring = {trial.parameters[key].criterion_id for key in keys}
    affected = []
    for criterion in trial.criteria:
        reads = _criterion_params(criterion)
        if reads is None:
            return None
        if criterion.id in declaring or reads & keys:
            affected.append(criterion)
    return affected
