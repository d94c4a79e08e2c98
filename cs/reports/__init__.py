"""Reports: figures computed from facts (data only) and their rendering with templates."""
