"""Performance benchmark harness (issue 8): ``python -m bench [--scale small|full] [--only scenario,...]``.

Every hot path is measured against its physical baseline in the same run (ratios), with the absolute figures
for reference; results go to ``bench/results/<date>.json`` and the generated section of ``docs/benchmarks.md``.
"""
