"""Metrics (指标数据) as the service sees them: what kind of value a framework reads for each metric, which metrics
the platform derives from consumed events, and how a scorecard's inputs are gathered with their sources."""
