"""Vendors' test kit: synthetic data (``generate``, ``generators``), defect planting (``mutate``), a file
as Excel saves it again (``excel``), Hypothesis strategies (``strategies``) and the pytest plugin
(``pytest_plugin``)."""
