"""The warehouse: open the DuckDB file and bootstrap its tables and macros (`connect`),
one writer at a time (`runlock`), and fingerprints of what a stored result was made of
(`fingerprint`). Imports nothing of the stages above it."""
