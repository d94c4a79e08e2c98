"""Cron batch jobs for cs (run with `cs jobs run NAME`)."""
