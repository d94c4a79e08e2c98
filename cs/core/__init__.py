"""The ground everything stands on: the clock and calendars, configuration, the Context, errors and words."""
