"""Ingest: the extract contract as data (`contract`), one drop file read as text or
refused whole (`readers`), and a drop loaded file by file into the raw tables with bad rows
quarantined by file, line and column (`load`). Other forms of a drop map onto the same
kinds and guarantees: an OMOP CDM (`omop`); `forms` tells a drop's form and picks its
reader."""
