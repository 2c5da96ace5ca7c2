"""Reports: the analysis of a model as data, as a rich terminal table and as JSON."""
