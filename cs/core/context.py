"""What every domain function receives: the database, the one `now`, the configuration and the actor."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Callable


def _silent(message: str) -> None:
    pass


class Context:
    """A plain class, not a dataclass: making a dataclass at import costs every command a millisecond."""

    def __init__(self, db, now: datetime, config: dict, actor: str, tz_name: str | None = None,
                 warn: Callable[[str], None] = _silent, inform: Callable[[str], None] = _silent):
        self.db = db
        self.now = now
        self.config = config
        self.actor = actor
        self.tz_name = tz_name
        self.warn = warn
        self.inform = inform  # news for the user, e.g. on stderr
        from cs.core.vocabulary import use_centre_words

        use_centre_words(config)

    def replace(self, **changes) -> Context:
        """A new context with `changes` (what it computed from the old values is computed again)."""
        fields = {"db": self.db, "now": self.now, "config": self.config, "actor": self.actor,
                  "tz_name": self.tz_name, "warn": self.warn, "inform": self.inform}
        return Context(**{**fields, **changes})

    @cached_property
    def tz(self):
        from cs.core import clock

        return clock.get_zone(self.tz_name or self.config.get("timezone") or "UTC")

    @cached_property
    def calendar(self):
        from cs.core import clock

        return clock.WorkCalendar(
            self.config["calendar"],
            self.config["extra_holidays"],
            self.config["extra_workdays"],
            warn=self.warn,
        )

    @cached_property
    def contact_hours(self):
        from cs.core import clock

        return clock.ContactHours(self.config["contact_hours"])

    @cached_property
    def service_hours(self):
        """When SLA clocks run (服务时间)."""
        from cs.core import clock
        from cs.core.config import service_windows

        return clock.ServiceHours(service_windows(self.config), self.config["service"]["days"], self.calendar)

    @cached_property
    def business_days(self):
        """Which day a moment belongs to, by the configured shifts."""
        from cs.core import clock
        from cs.core.i18n import N_

        return clock.BusinessDays(clock.day_window_minutes(f"{shift['start']}-{shift['end']}", N_("shift"))
                                  for shift in self.config["shift"])

    def business_day(self, moment=None):
        """The business day of `moment` (default now): the start date of the shift running then that started
        last, else the calendar date."""
        return self.business_days.of(moment or self.now, self.tz)

    @cached_property
    def now_db(self) -> str:
        from cs.core import clock

        return clock.to_db(self.now)

    @cached_property
    def display(self) -> Callable[[object], str | None]:
        """A function: a stored UTC timestamp as RFC 3339 in the centre's zone. Bound once, as a listing calls it
        thousands of times."""
        from functools import partial

        from cs.core import clock

        return partial(clock.to_display, tz=self.tz)

    def resolve_time(self, spec) -> datetime:
        """A TimeSpec (or TIME text) read against this context's clock, zone and calendar."""
        from cs.core import clock
        from cs.core.errors import CSError

        try:
            if isinstance(spec, str):
                spec = clock.TimeSpec.parse(spec)
            return spec.resolve(self.now, self.tz, self.calendar)
        except ValueError as exc:
            raise CSError(str(exc)) from None
