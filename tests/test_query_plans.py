"""The hot questions are answered from indexes, not by scanning history (EXPLAIN QUERY PLAN)."""

from cs import callbacks, tickets


def plan(db, sql, params):
    return " ".join(row[-1] for row in db.all("EXPLAIN QUERY PLAN " + sql, params))


def captured_sql(ctx, monkeypatch, run):
    """The SQL and parameters a domain query sends to the database."""
    seen = []
    real_execute = ctx.db.execute

    def spy(sql, params=()):
        seen.append((sql, params))
        return real_execute(sql, params)

    monkeypatch.setattr(ctx.db, "execute", spy)
    run()
    return [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")][-1]


def test_overdue_callbacks_use_the_pending_index(ctx, monkeypatch):
    sql, params = captured_sql(ctx, monkeypatch, lambda: list(callbacks.query(ctx, overdue=True)))
    text = plan(ctx.db, sql, params)
    assert "USING INDEX callbacks_pending_due" in text, text
    assert "SCAN c" not in text, text


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

    from cs import reports

    seen = []
    real_all = ctx.db.all

    def spy(sql, params=()):
        seen.append((sql, params))
        return real_all(sql, params)

    monkeypatch.setattr(ctx.db, "all", spy)
    reports.day_report(ctx, day=date(2026, 11, 19))
    monkeypatch.undo()
    scans = []
    for sql, params in seen:
        text = plan(ctx.db, sql, params)
        if "SCAN" in text.replace("SCAN CONSTANT ROW", ""):
            scans.append((sql, text))
    assert seen and not scans, scans
