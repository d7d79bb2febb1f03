"""Records → findings: ``run`` assembles a run of files, ``fields`` checks values and columns, ``keys``
indexes keys (spilling to disk), ``parallel`` splits one big file across processes."""
