"""Vendors' test kit: synthetic data (``generate``, ``generators``), defect planting (``mutate``),
Hypothesis strategies (``strategies``) and the pytest plugin (``pytest_plugin``)."""
