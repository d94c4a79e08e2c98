"""The hot questions are answered from indexes, not by scanning history (EXPLAIN QUERY PLAN)."""

import re

from cs.desk import callbacks, tickets


def plan(db, sql, params):
    return " ".join(row[-1] for row in db.all("EXPLAIN QUERY PLAN " + sql, params))


def captured_sql(ctx, monkeypatch, run):
    """The SQL and parameters a domain query sends to the database."""
    seen = []
    for method in ("execute", "tuples"):
        real = getattr(ctx.db, method)

        def spy(sql, params=(), real=real):
            seen.append((sql, params))
            return real(sql, params)

        monkeypatch.setattr(ctx.db, method, spy)
    run()
    return [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")][-1]


def test_overdue_callbacks_use_the_pending_index(ctx, monkeypatch):
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, overdue=True)))
    text = plan(ctx.db, sql, params)
    assert "USING INDEX callbacks_pending_due" in text, text
    assert "SCAN c" not in text, text


def test_a_table_of_overdue_callbacks_reads_only_the_pending_index(ctx, monkeypatch):
    """m022: the listed fields are in a partial index, in the listing's order, so a table of a year's overdue
    callbacks reads no table rows scattered over the file (the full records keep the narrow index)."""
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, overdue=True, listed_only=True)))
    assert plan(ctx.db, sql, params) == "SEARCH c USING COVERING INDEX callbacks_pending_listed (due_at<?)"


def test_pending_callbacks_use_the_pending_indexes(ctx, monkeypatch):
    """`callback list --status pending` scanned every callback of the years (0.8 s on the year-scale desk): the
    status is written out in the SQL so the partial indexes apply."""
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, status=["pending"])))
    assert re.search(r"USING INDEX callbacks_pending_(due|listed)\b", plan(ctx.db, sql, params))  # pending rows only
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, status=["pending"],
                                                                               listed_only=True)))
    assert "USING COVERING INDEX callbacks_pending_listed" in plan(ctx.db, sql, params)


def test_open_tickets_use_the_open_index(ctx, monkeypatch):
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(tickets.query(ctx, open_only=True)))
    text = plan(ctx.db, sql, params)
    assert "tickets_open" in text, text


def test_a_customers_tickets_use_the_phone_index(ctx, monkeypatch):
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(tickets.query(ctx, phone="13800138000")))
    assert "tickets_phone" in plan(ctx.db, sql, params)


def test_a_tickets_callbacks_use_the_ticket_index(ctx, monkeypatch):
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, ticket_id=1)))
    assert "callbacks_ticket" in plan(ctx.db, sql, params)


def test_report_lookups_use_indexes_not_history(ctx, monkeypatch):
    """Every SELECT of a shift report searches an index; none scans a table."""
    from datetime import date

    from cs.reports import figures as reports

    seen = []
    real_all = ctx.db.all

    def spy(sql, params=()):
        seen.append((sql, params))
        return real_all(sql, params)

    monkeypatch.setattr(ctx.db, "all", spy)
    reports.day_report(ctx, day=date(2026, 11, 19))
    monkeypatch.undo()
    scans = table_scans(ctx, seen, allowed=("rule_starts", "departments"))  # one row per department
    assert seen and not scans, scans


def selects_of(ctx, monkeypatch, run):
    """Every SELECT a domain call sends, through any of the database's query methods, with its parameters."""
    seen = []
    for method in ("execute", "tuples", "one", "value", "all"):
        real = getattr(ctx.db, method)

        def spy(sql, params=(), real=real):
            seen.append((sql, params))
            return real(sql, params)

        monkeypatch.setattr(ctx.db, method, spy)
    run()
    monkeypatch.undo()
    return [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")]


def table_scans(ctx, queries, allowed=("agents", "rule_starts", "departments")):
    """The queries whose plan walks a whole table, but for small tables: one row per person, rule or department."""
    scans = []
    for sql, params in queries:
        text = plan(ctx.db, sql, params)
        # A VALUES list is the query's own constants (cs.calls.figures: the shift windows it counts calls in).
        walked = [step for step in text.split("SCAN ")[1:]
                  if not re.match(r"(\d+ )?CONSTANT ROW|windows\b", step)]
        if any(step.split()[0] not in allowed for step in walked):
            scans.append((sql, text))
    return scans


def test_month_report_reads_the_months_records_through_indexes(ctx, monkeypatch):
    """The month's tickets come as one stream over the opened_at index, its due callbacks over the due_at index."""
    from cs.reports import figures as reports

    queries = selects_of(ctx, monkeypatch, lambda: reports.month_report(ctx, month="2026-10"))
    assert len(queries) >= 6 and not table_scans(ctx, queries), table_scans(ctx, queries)
    received = next(sql for sql, _ in queries if "first_response_due_at" in sql)
    assert "tickets_opened" in plan(ctx.db, received, ("a", "b"))
    due = next((sql, params) for sql, params in queries if sql.startswith("SELECT id FROM callbacks WHERE due_at >="))
    assert "callbacks_due" in plan(ctx.db, *due)


def test_overdue_alerts_look_up_only_pending_callbacks(ctx, monkeypatch):
    from jobs import overdue_alerts

    queries = selects_of(ctx, monkeypatch, lambda: overdue_alerts.run(ctx, channels={"stdout": None}, dry_run=True))
    callback_queries = [(sql, params) for sql, params in queries if "callbacks" in sql]
    assert len(callback_queries) == 2 and not table_scans(ctx, queries)
    # Messages of unknown outcome are found through the partial index, however many were sent over the years.
    (open_messages,) = [(sql, params) for sql, params in queries if "FROM deliveries" in sql]
    assert "deliveries_open" in plan(ctx.db, *open_messages)
    # either partial index of the pending callbacks (m022's covers the id and due time the alerts' lookup needs)
    assert all(re.search(r"callbacks_pending_(due|listed)\b", plan(ctx.db, sql, params))
               for sql, params in callback_queries)


def test_a_days_deductions_read_only_that_day(ctx, monkeypatch):
    from datetime import date

    from cs.scoring import deductions

    queries = selects_of(ctx, monkeypatch, lambda: deductions.run(ctx, date(2026, 11, 19), dry_run=True))
    assert len(queries) >= 6 and not table_scans(ctx, queries), table_scans(ctx, queries)
