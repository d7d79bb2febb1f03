"""Vendors' test kit: synthetic data (``generate``, ``generators``), defect planting (``mutate``), a file
as Excel saves it again (``excel``), a synthetic 全銀 requester and payees (``zengin``), Hypothesis
strategies (``strategies``) and the pytest plugin (``pytest_plugin``)."""
