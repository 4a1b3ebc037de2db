"""Commands that read an existing warehouse without a scan: `explain` (why a patient is or
is not a candidate) and `whatif` (a trial re-evaluated with changed parameters)."""
