"""The schema, as an ordered list of small named migrations (the llm pattern).

Each migration `mNNN_what(db)` runs once, in its own transaction, and is recorded in `_migrations` by
its name: a database is checked by which names it has had, not by how many, so a migration that is
never edited after it has landed is never run twice and never skipped. A change to the schema is a new
function at the end of the list; a database that records a name this cs does not know comes from a
newer cs and is refused before anything is touched.
"""

from __future__ import annotations

import sqlite3

from cs.core.errors import CSError
from cs.core.i18n import _


def migrate(db) -> None:
    """Run every migration this file has not had, each in its own transaction."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = {row["name"]: row["version"] for row in db.all("SELECT version, name FROM _migrations")}
    _refuse_unknown(db, applied)
    for step in MIGRATIONS:
        if step.__name__ in applied:
            continue
        with db.transaction():
            # Another process may have migrated while we waited for the write lock.
            if _applied(db, step.__name__):
                continue
            step(db)
            db.execute(
                "INSERT INTO _migrations (version, name, applied_at) VALUES"
                " ((SELECT COALESCE(MAX(version), 0) + 1 FROM _migrations), ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                (step.__name__,),
            )


def refuse_newer(db) -> None:
    """Refuse a database from a newer cs without changing anything (for commands that do not migrate)."""
    if db.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'") is None:
        return
    _refuse_unknown(db, {row["name"]: row["version"] for row in db.all("SELECT version, name FROM _migrations")})


def _applied(db, name: str) -> bool:
    return db.one("SELECT 1 FROM _migrations WHERE name = ?", (name,)) is not None


def _refuse_unknown(db, applied: dict) -> None:
    known = {step.__name__ for step in MIGRATIONS}
    unknown = sorted((version, name) for name, version in applied.items() if name not in known)
    if unknown:
        version, name = unknown[-1]
        raise CSError(
            _("the database {path} has schema version {version} ({name}), newer than this cs understands"
              " ({count} migrations, the last {last}); upgrade cs (pip install -U cs-desk) before using it")
            .format(path=db.path, version=version, name=name, count=len(MIGRATIONS), last=MIGRATIONS[-1].__name__)
        )


def run_script(db, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement!r}")


def m001_foundation(db) -> None:
    run_script(db, 
        """
        CREATE TABLE config_versions (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            source TEXT NOT NULL,
            config TEXT NOT NULL
        );

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_entity ON audit (entity, entity_id);
        CREATE INDEX audit_at ON audit (at);

        CREATE TABLE agents (
            handle TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            team TEXT,
            role TEXT NOT NULL CHECK (role IN ('agent', 'leader', 'supervisor')),
            email TEXT,
            mobile TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );

        CREATE TABLE customers (
            phone TEXT PRIMARY KEY,
            name TEXT,
            vip INTEGER NOT NULL DEFAULT 0,
            no_callback INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            opened_at TEXT NOT NULL,
            channel TEXT NOT NULL,
            category TEXT NOT NULL,
            priority TEXT NOT NULL,
            status TEXT NOT NULL,
            summary TEXT NOT NULL CHECK (summary <> ''),
            detail TEXT,
            customer_name TEXT,
            customer_phone TEXT REFERENCES customers (phone),
            agent TEXT REFERENCES agents (handle),
            department TEXT,
            about_agent TEXT REFERENCES agents (handle),
            verdict TEXT CHECK (verdict IN ('upheld', 'rejected')),
            verdict_at TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            first_response_at TEXT,
            first_response_due_at TEXT NOT NULL,
            resolved_at TEXT,
            resolve_due_at TEXT NOT NULL,
            pending_since TEXT,
            paused_s INTEGER NOT NULL DEFAULT 0,
            closed_at TEXT,
            resolution TEXT,
            fcr INTEGER NOT NULL DEFAULT 0,
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tickets_opened ON tickets (opened_at);
        CREATE INDEX tickets_agent ON tickets (agent, opened_at);
        CREATE INDEX tickets_phone ON tickets (customer_phone, opened_at) WHERE customer_phone IS NOT NULL;
        -- Partial indexes: most tickets of a long history are closed, have no verdict, and are
        -- looked up by when they were resolved only in reports, so only those rows pay for them.
        CREATE INDEX tickets_open ON tickets (opened_at) WHERE status IN ('open', 'in_progress', 'pending');
        CREATE INDEX tickets_verdict ON tickets (verdict_at) WHERE verdict_at IS NOT NULL;
        CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;

        CREATE TABLE ticket_events (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT,
            text TEXT
        );
        CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

        -- Full-text search over summary, detail and notes. The trigram tokenizer finds Chinese
        -- phrases of three characters or more; shorter terms fall back to instr(). New tickets
        -- are indexed by the code that inserts them, in batches: an AFTER INSERT trigger would
        -- make FTS5 flush its buffer once per row, ten times slower on a bulk import.
        CREATE VIRTUAL TABLE ticket_fts USING fts5 (summary, detail, notes, tokenize = 'trigram');
        CREATE TRIGGER tickets_fts_update AFTER UPDATE OF summary, detail ON tickets BEGIN
            UPDATE ticket_fts SET summary = new.summary, detail = COALESCE(new.detail, '') WHERE rowid = new.id;
        END;
        CREATE TRIGGER ticket_notes_fts AFTER INSERT ON ticket_events WHEN new.kind = 'note' BEGIN
            UPDATE ticket_fts SET notes = notes || char(10) || new.text WHERE rowid = new.ticket_id;
        END;
        """
    )


def m002_callbacks(db) -> None:
    run_script(
        db,
        """
        CREATE TABLE callbacks (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER REFERENCES tickets (id),
            customer_name TEXT,
            customer_phone TEXT REFERENCES customers (phone),
            reason TEXT NOT NULL,
            method TEXT NOT NULL,
            agent TEXT REFERENCES agents (handle),
            status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
            due_at TEXT NOT NULL,
            not_before TEXT NOT NULL,
            next_try_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            outcome TEXT CHECK (outcome IN ('satisfied', 'neutral', 'dissatisfied')),
            score INTEGER CHECK (score BETWEEN 1 AND 5),
            note TEXT,
            policy TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            done_at TEXT,
            ended_at TEXT,
            updated_at TEXT NOT NULL
        );
        -- Overdue = pending and past due: the partial index holds only pending callbacks, so the
        -- question costs the same on a week of history as on years of it.
        CREATE INDEX callbacks_pending_due ON callbacks (due_at) WHERE status = 'pending';
        CREATE INDEX callbacks_due ON callbacks (due_at);
        CREATE INDEX callbacks_ticket ON callbacks (ticket_id) WHERE ticket_id IS NOT NULL;
        CREATE INDEX callbacks_phone ON callbacks (customer_phone) WHERE customer_phone IS NOT NULL;
        CREATE INDEX callbacks_agent ON callbacks (agent, due_at);
        -- When callbacks were finished: reports ask what was done in a window, or still open at its end.
        CREATE INDEX callbacks_ended ON callbacks (ended_at) WHERE ended_at IS NOT NULL;

        -- What was done on each callback: 执行人 (actor), 时间 (at), 内容 (note), 结果 (result).
        CREATE TABLE callback_events (
            id INTEGER PRIMARY KEY,
            callback_id INTEGER NOT NULL REFERENCES callbacks (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            result TEXT,
            note TEXT
        );
        CREATE INDEX callback_events_callback ON callback_events (callback_id, at);
        """,
    )


def m003_shifts_and_scoring(db) -> None:
    run_script(
        db,
        """
        -- Who works which shift on which day (date = the local day the shift starts).
        CREATE TABLE roster (
            date TEXT NOT NULL,
            shift TEXT NOT NULL,
            agent TEXT NOT NULL REFERENCES agents (handle),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            PRIMARY KEY (date, shift, agent)
        );
        CREATE INDEX roster_agent ON roster (agent, date);

        -- 交接班备忘录: items one shift leaves for the next.
        CREATE TABLE handovers (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            date TEXT NOT NULL,
            shift TEXT NOT NULL,
            agent TEXT REFERENCES agents (handle),
            text TEXT NOT NULL CHECK (text <> ''),
            ticket_id INTEGER REFERENCES tickets (id),
            status TEXT NOT NULL CHECK (status IN ('open', 'acked', 'done')),
            acked_by TEXT,
            acked_at TEXT,
            done_at TEXT,
            note TEXT,
            created_by TEXT NOT NULL
        );
        CREATE INDEX handovers_created ON handovers (created_at);
        CREATE INDEX handovers_date ON handovers (date, shift);
        CREATE INDEX handovers_open ON handovers (created_at) WHERE status <> 'done';
        CREATE INDEX handovers_done ON handovers (done_at) WHERE done_at IS NOT NULL;

        -- 每日工作: a duty ticked off by an agent for a day.
        CREATE TABLE duty_records (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL,
            duty TEXT NOT NULL,
            agent TEXT NOT NULL REFERENCES agents (handle),
            done_at TEXT NOT NULL,
            note TEXT,
            created_by TEXT NOT NULL,
            UNIQUE (date, duty, agent)
        );

        -- A supervisor's record of a manual rule broken (e.g. 上班做与工作无关的事).
        CREATE TABLE violations (
            id INTEGER PRIMARY KEY,
            agent TEXT NOT NULL REFERENCES agents (handle),
            rule TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE INDEX violations_at ON violations (at);
        CREATE INDEX violations_agent_rule ON violations (agent, rule, at);

        -- 考核扣分: one entry per (rule, agent, day, source record), computed from facts.
        CREATE TABLE deductions (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL,
            agent TEXT NOT NULL,
            rule TEXT NOT NULL,
            label TEXT NOT NULL,
            points REAL NOT NULL DEFAULT 0,
            fine REAL NOT NULL DEFAULT 0,
            action TEXT,
            ref_type TEXT NOT NULL,
            ref_id TEXT NOT NULL,
            detail TEXT,
            voided INTEGER NOT NULL DEFAULT 0,
            void_reason TEXT,
            voided_by TEXT,
            voided_at TEXT,
            computed_at TEXT NOT NULL,
            UNIQUE (rule, agent, date, ref_type, ref_id)
        );
        CREATE INDEX deductions_date ON deductions (date);
        CREATE INDEX deductions_agent ON deductions (agent, date);

        -- Days whose deductions have been computed (the daily job catches up from here).
        CREATE TABLE deduction_days (
            date TEXT PRIMARY KEY,
            computed_at TEXT NOT NULL,
            computed_by TEXT NOT NULL
        );
        """,
    )


def m004_jobs(db) -> None:
    run_script(
        db,
        """
        -- Every run of a cron job: when, how it ended, what it did.
        CREATE TABLE job_runs (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
            summary TEXT
        );
        CREATE INDEX job_runs_job ON job_runs (job, id);

        -- Overdue-callback alerts delivered: each (callback, level, recipient, channel, round) once.
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            callback_id INTEGER NOT NULL REFERENCES callbacks (id),
            level INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            channel TEXT NOT NULL,
            round INTEGER NOT NULL DEFAULT 0,
            due_at TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            -- due_at in the key: a rescheduled callback that falls overdue again is alerted again.
            UNIQUE (callback_id, level, recipient, channel, round, due_at)
        );

        -- Shift reports the shift-reports job has written.
        CREATE TABLE shift_report_runs (
            date TEXT NOT NULL,
            shift TEXT NOT NULL,
            path TEXT NOT NULL,
            written_at TEXT NOT NULL,
            PRIMARY KEY (date, shift)
        );
        """,
    )


def m005_first_response_deadlines(db) -> None:
    run_script(
        db,
        """
        -- first_response_late judges a ticket on the business day its deadline falls; only tickets whose
        -- first response missed (or has not met) its deadline are in this partial index.
        CREATE INDEX tickets_first_response_late ON tickets (first_response_due_at)
            WHERE first_response_at IS NULL OR first_response_at > first_response_due_at;
        """,
    )


def m006_history_before(db) -> None:
    run_script(
        db,
        """
        -- What each change replaced: the record's changed fields as they were before the event (JSON). A
        -- report reads a ticket or callback as it stood at its window's end by undoing later events, so
        -- the same report read again tomorrow says the same. Events recorded before this have none.
        ALTER TABLE ticket_events ADD COLUMN before TEXT;
        ALTER TABLE callback_events ADD COLUMN before TEXT;
        -- Resolutions and reschedulings by when they happened: a window's resolved tickets include those
        -- reopened since, and its due callbacks those rescheduled out of it since.
        CREATE INDEX ticket_events_resolved ON ticket_events (at) WHERE kind = 'resolved';
        CREATE INDEX callback_events_rescheduled ON callback_events (at) WHERE kind = 'rescheduled';
        """,
    )


def m007_identity_closing_appeals(db) -> None:
    run_script(
        db,
        """
        -- The OS login that identifies an agent: once any agent has one, the desk takes the actor from the
        -- login (enforced mode) instead of trusting --as.
        ALTER TABLE agents ADD COLUMN os_user TEXT;
        CREATE UNIQUE INDEX agents_os_user ON agents (os_user) WHERE os_user IS NOT NULL;

        -- Beside the business actor and time: the OS login that made the change and the real clock, and
        -- whether the change was dated further back than [security] backdate_limit.
        ALTER TABLE audit ADD COLUMN os_user TEXT;
        ALTER TABLE audit ADD COLUMN recorded_at TEXT;
        ALTER TABLE audit ADD COLUMN backdated INTEGER NOT NULL DEFAULT 0;

        -- Months whose 考核 is final: runs change nothing, voids and appeal decisions wait for a reopen.
        CREATE TABLE closed_months (
            month TEXT PRIMARY KEY,
            closed_at TEXT NOT NULL,
            closed_by TEXT NOT NULL
        );

        -- 申诉: an agent contests a deduction entry; a supervisor (or the agent's leader) decides. Entries
        -- may be recomputed away, so the entry is referred to by id without a foreign key.
        CREATE TABLE appeals (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL,
            agent TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
            filed_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            note TEXT
        );
        CREATE UNIQUE INDEX appeals_one_open ON appeals (entry_id) WHERE status = 'open';
        CREATE INDEX appeals_entry ON appeals (entry_id);
        """,
    )


def m008_delivery_intents(db) -> None:
    run_script(
        db,
        """
        -- Each message an alert job sends (one part of one recipient's digest on one channel) is recorded
        -- here before it is sent and its outcome right after. A run killed in flight leaves it 'sending';
        -- the next run sends the alerts still owed again under the same alert_key, so a receiver that
        -- deduplicates sees the message once. 'dropped': none of its alerts was owed any more.
        CREATE TABLE deliveries (
            alert_key TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            recipient TEXT NOT NULL,
            alerts TEXT NOT NULL, -- JSON [[callback_id, level, round, due_at], ...]
            state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'dropped')),
            intended_at TEXT NOT NULL,
            ended_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            error TEXT
        );
        CREATE INDEX deliveries_open ON deliveries (channel) WHERE state IN ('sending', 'failed');

        -- The message an alert went out in.
        ALTER TABLE alerts ADD COLUMN alert_key TEXT;
        """,
    )


def m009_seed_rules(db) -> None:
    run_script(
        db,
        """
        -- The memo as seed 001 asks for it: 日期+事发时间+涉案当事人姓名+问题详细描述.
        ALTER TABLE handovers ADD COLUMN occurred_at TEXT;
        ALTER TABLE handovers ADD COLUMN party TEXT;

        -- The incident a violation is about: a rude-service violation naming an upheld complaint replaces the
        -- complaint's entry (one incident, one deduction).
        ALTER TABLE violations ADD COLUMN ticket_id INTEGER REFERENCES tickets (id);
        CREATE INDEX violations_ticket ON violations (ticket_id) WHERE ticket_id IS NOT NULL;

        -- A leader's override of who does a duty on one day (cs duty assign), over the roster and the rota.
        CREATE TABLE duty_assignments (
            date TEXT NOT NULL,
            duty TEXT NOT NULL,
            agent TEXT NOT NULL REFERENCES agents (handle),
            assigned_at TEXT NOT NULL,
            assigned_by TEXT NOT NULL,
            PRIMARY KEY (date, duty)
        );
        """,
    )


def m010_rule_starts_and_quotas(db) -> None:
    run_script(
        db,
        """
        -- The first business day a rule is applied from. A desk that had judged days when this cs came gets the
        -- rules new in it (the memo's handover_missing, negative_talk) and the seed's `ever` window for off_task
        -- from the first day it had not judged: days judged before keep the rules they were judged by.
        CREATE TABLE rule_starts (
            rule TEXT PRIMARY KEY,
            since TEXT NOT NULL
        );
        INSERT INTO rule_starts (rule, since)
            SELECT code, (SELECT date(MAX(date), '+1 day') FROM deduction_days)
            FROM (SELECT 'handover_missing' AS code UNION ALL SELECT 'negative_talk' UNION ALL SELECT 'off_task')
            WHERE EXISTS (SELECT 1 FROM deduction_days);

        -- Entries by their source record: a violation's void, a complaint's standing entry.
        CREATE INDEX deductions_ref ON deductions (ref_type, ref_id);

        -- Quotas, not chances (seed 003): the customers (by phone) who became eligible for a policy in a month,
        -- in order; the k-th is selected when ceil(k × sample) > ceil((k − 1) × sample).
        CREATE TABLE quota_customers (
            policy TEXT NOT NULL,
            month TEXT NOT NULL,
            phone TEXT NOT NULL,
            k INTEGER NOT NULL,
            selected INTEGER NOT NULL,
            ticket_id INTEGER,
            at TEXT NOT NULL,
            PRIMARY KEY (policy, month, phone)
        );
        CREATE UNIQUE INDEX quota_customers_k ON quota_customers (policy, month, k);
        CREATE INDEX callbacks_policy ON callbacks (policy, created_at) WHERE policy IS NOT NULL;
        """,
    )


def m011_visit_plans(db) -> None:
    run_script(
        db,
        """
        -- A customer's tags (e.g. 小区, 楼栋): a visit plan's scope may be tag:TAG.
        ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

        -- A visit plan's callback is for one period of the plan (the day the period began): one per customer and
        -- period, so running the plan again creates nothing twice.
        ALTER TABLE callbacks ADD COLUMN plan_period TEXT;
        CREATE UNIQUE INDEX callbacks_plan ON callbacks (policy, plan_period, customer_phone)
            WHERE plan_period IS NOT NULL;
        """,
    )


def m012_quota_bookkeeping(db) -> None:
    run_script(
        db,
        """
        -- The share in force when each customer was counted, and how many of the month's customers the policy
        -- had selected up to and including this one: a sample raised mid-month still meets ceil(k × sample).
        ALTER TABLE quota_customers ADD COLUMN sample REAL;
        ALTER TABLE quota_customers ADD COLUMN chosen INTEGER;
        UPDATE quota_customers SET chosen = (SELECT COUNT(*) FROM quota_customers q WHERE q.policy = quota_customers.policy
            AND q.month = quota_customers.month AND q.k <= quota_customers.k AND q.selected = 1);
        -- The month report reads a month's rows for every policy; a new customer is new once, whatever the month.
        CREATE INDEX quota_customers_month ON quota_customers (month, policy);
        CREATE INDEX quota_customers_phone ON quota_customers (phone, policy);
        """,
    )


def m013_deduction_detail_parts(db) -> None:
    run_script(
        db,
        """
        -- A deduction's detail in its parts (template and values, JSON), so each reader sees it in their own
        -- language; `detail` keeps the English text, which runs compare from one day to the next.
        ALTER TABLE deductions ADD COLUMN detail_msg TEXT;
        """,
    )


def m014_agents_by_name(db) -> None:
    run_script(
        db,
        """
        -- Agents are named by handle or by full name wherever one is asked for (SPEC section 17).
        CREATE INDEX agents_name ON agents (name);
        """,
    )


def m015_job_summary_parts(db) -> None:
    run_script(
        db,
        """
        -- A job run's summary in its parts, shown in the reader's language (`summary` keeps the English).
        ALTER TABLE job_runs ADD COLUMN summary_msg TEXT;
        """,
    )


def m016_departments_and_dispatches(db) -> None:
    run_script(
        db,
        """
        -- Departments a ticket can be sent to (工程部), with the head who decides and the contact who takes them.
        CREATE TABLE departments (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            head TEXT NOT NULL REFERENCES agents (handle),
            contact TEXT REFERENCES agents (handle),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        -- A dispatch (派单): sent -> accepted (接单) -> done (完工), each step with its time and who did it.
        CREATE TABLE dispatches (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            department TEXT NOT NULL REFERENCES departments (code),
            status TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'done')),
            sent_at TEXT NOT NULL,
            sent_by TEXT NOT NULL,
            accept_due_at TEXT NOT NULL,
            accepted_at TEXT,
            accepted_by TEXT,
            done_due_at TEXT NOT NULL,
            done_at TEXT,
            done_by TEXT,
            note TEXT
        );
        CREATE INDEX dispatches_ticket ON dispatches (ticket_id);
        CREATE INDEX dispatches_open ON dispatches (done_due_at) WHERE status <> 'done';
        CREATE INDEX dispatches_department ON dispatches (department, sent_at);
        CREATE INDEX dispatches_accepted ON dispatches (department, accepted_at) WHERE accepted_at IS NOT NULL;
        CREATE INDEX dispatches_done ON dispatches (department, done_at) WHERE done_at IS NOT NULL;
        """,
    )


def m017_addresses(db) -> None:
    run_script(
        db,
        """
        -- The caller's 住处 on a property desk (seed 004's 来访记录): 楼栋, 单元, 房号, on tickets and customers.
        ALTER TABLE tickets ADD COLUMN building TEXT;
        ALTER TABLE tickets ADD COLUMN unit TEXT;
        ALTER TABLE tickets ADD COLUMN room TEXT;
        ALTER TABLE customers ADD COLUMN building TEXT;
        ALTER TABLE customers ADD COLUMN unit TEXT;
        ALTER TABLE customers ADD COLUMN room TEXT;
        CREATE INDEX tickets_address ON tickets (building, unit, room) WHERE building IS NOT NULL;
        """,
    )


def m018_alerts_for_every_kind(db) -> None:
    run_script(
        db,
        """
        -- Overdue alerts on tickets and dispatches too (SPEC section 18): the key gains the kind of record.
        CREATE TABLE alerts_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('callback', 'ticket', 'dispatch')),
            ref_id INTEGER NOT NULL,
            level INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            channel TEXT NOT NULL,
            round INTEGER NOT NULL DEFAULT 0,
            due_at TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            alert_key TEXT,
            UNIQUE (kind, ref_id, level, recipient, channel, round, due_at)
        );
        INSERT INTO alerts_new (id, kind, ref_id, level, recipient, channel, round, due_at, sent_at, alert_key)
            SELECT id, 'callback', callback_id, level, recipient, channel, round, due_at, sent_at, alert_key FROM alerts;
        DROP TABLE alerts;
        ALTER TABLE alerts_new RENAME TO alerts;
        -- The late-ticket lookups: tickets still open, by their resolve deadline.
        CREATE INDEX tickets_open_resolve ON tickets (resolve_due_at) WHERE status IN ('open', 'in_progress');
        CREATE INDEX dispatches_sent ON dispatches (accept_due_at) WHERE status = 'sent';
        """,
    )


def m019_report_deliveries(db) -> None:
    run_script(
        db,
        """
        -- Each shift report sent to each supervisor on each channel, once: 'sent', or 'sending'/'failed' and sent
        -- again by the next run (the same key: the e-mail's Message-ID, the robots' alert_key).
        CREATE TABLE report_deliveries (
            date TEXT NOT NULL,
            shift TEXT NOT NULL,
            recipient TEXT NOT NULL,
            channel TEXT NOT NULL,
            delivery_key TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 1,
            intended_at TEXT NOT NULL,
            sent_at TEXT,
            error TEXT,
            PRIMARY KEY (date, shift, recipient, channel)
        );
        CREATE INDEX report_deliveries_open ON report_deliveries (date) WHERE state <> 'sent';
        """,
    )


def m020_dispatch_done_note(db) -> None:
    run_script(
        db,
        """
        -- What the department says it did, kept apart from what the sender asked (note).
        ALTER TABLE dispatches ADD COLUMN done_note TEXT;
        """,
    )


def m021_call_records(db) -> None:
    run_script(
        db,
        """
        -- Call records (SPEC section 19): one row a call, from a switch's CDR or a sheet, by its unique id.
        ALTER TABLE agents ADD COLUMN extension TEXT;
        CREATE UNIQUE INDEX agents_extension ON agents (extension) WHERE extension IS NOT NULL;
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            uniqueid TEXT NOT NULL UNIQUE,
            caller TEXT,
            extension TEXT,
            agent TEXT,
            started_at TEXT NOT NULL,
            answered_at TEXT,
            ended_at TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX calls_started ON calls (started_at);
        CREATE INDEX calls_agent ON calls (agent, started_at) WHERE agent IS NOT NULL;
        """,
    )


def m022_pending_callbacks_listed_from_an_index(db) -> None:
    run_script(
        db,
        """
        -- A table of the pending callbacks (cs callback list --overdue) read each row from the table, scattered over
        -- a year of callbacks: the listed fields sit in this partial index (a few thousand pending rows), in the
        -- listing's order (due_at, id), and such a table never touches the callbacks table.
        CREATE INDEX callbacks_pending_listed ON callbacks (due_at, id, status, agent, customer_name, customer_phone,
                                                            reason, method, attempts, next_try_at, ticket_id)
            WHERE status = 'pending';
        """,
    )


MIGRATIONS = [m001_foundation, m002_callbacks, m003_shifts_and_scoring, m004_jobs, m005_first_response_deadlines,
              m006_history_before, m007_identity_closing_appeals, m008_delivery_intents, m009_seed_rules,
              m010_rule_starts_and_quotas, m011_visit_plans, m012_quota_bookkeeping,
              m013_deduction_detail_parts, m014_agents_by_name,
              m015_job_summary_parts, m016_departments_and_dispatches, m017_addresses,
              m018_alerts_for_every_kind, m019_report_deliveries, m020_dispatch_done_note,
              m021_call_records, m022_pending_callbacks_listed_from_an_index]
