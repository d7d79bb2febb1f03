"""Findings → Report: ``model`` is the JSON contract, plus masking/rendering, baselines and waivers."""
