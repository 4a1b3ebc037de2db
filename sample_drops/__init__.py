"""Development tooling, not part of the product: the deterministic generator of the
bundled sample drop (`data/sample/`) and of benchmark-scale drops.

Nothing under `pipelines/` imports it; tests and `bench/` do. Run it from the project
root: `python -m sample_drops.generator --out data/sample`.
"""
