"""What a spec is: the spec models (``spec``), record models, rules, workbook import, annotation,
JSON Schema / XSD generation, and the disk-backed tables rules use (``spill``)."""
