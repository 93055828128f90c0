"""Evaluation frameworks as versioned TOML data, read by ``services.evaluation.domain.catalog``."""
