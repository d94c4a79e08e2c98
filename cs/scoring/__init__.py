"""考核: rule sources and the daily run, violations with escalation, monthly scores."""
