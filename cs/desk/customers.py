"""Customers (客户档案): upserted from tickets by normalised phone number."""

from __future__ import annotations

import json
import re

from cs.core.errors import CSError
from cs.core.i18n import N_, _
from cs.core.text import clean_tags as _clean_tags
from cs.core.text import clean_text
from cs.store.query import Filters, listing, one_or_refuse

_COUNTRY_PREFIX = r"^(?:\+86|0086)+"  # a pattern text, compiled on first use; all of them: stripping once could leave 0086 (+8600860)


def normalise_phone(text: str) -> str:
    """Digits only, China's +86 / 0086 prefix stripped; 5 to 20 digits or a refusal."""
    raw = str(text).strip()
    # Full-width digits (１３８…) are the same number; other scripts' digits are not a phone.
    if not raw.isascii():
        import unicodedata  # only for such text: ASCII is its own NFKC form

        raw_digits = unicodedata.normalize("NFKC", raw)
    else:
        raw_digits = raw
    compact = re.sub(r"[\s\-().]", "", raw_digits)
    compact = re.sub(_COUNTRY_PREFIX, "", compact)
    if not re.fullmatch(r"[0-9]+", compact):
        raise CSError(_("{value!r} is not a phone number: use digits, optionally with +86, spaces or dashes").format(
            value=raw))
    if not 5 <= len(compact) <= 20:
        raise CSError(_("{value!r} is not a phone number: it has {digits} digits, expected 5 to 20").format(
            value=raw, digits=len(compact)))
    return compact


def mask_phone(phone: str | None) -> str | None:
    """138****5678: reports and alerts never show a whole number."""
    if not phone:
        return phone
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return phone[:1] + "*" * (len(phone) - 2) + phone[-1:]


# A customer is created on first contact; a name is filled in only where none is known.
_UPSERT = (
    "INSERT INTO customers (phone, name, created_at, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (phone) DO UPDATE SET name = COALESCE(customers.name, excluded.name),"
    " updated_at = CASE WHEN customers.name IS NULL AND excluded.name IS NOT NULL"
    " THEN excluded.updated_at ELSE customers.updated_at END"
)


def give_addresses(db, records) -> None:
    """A customer with no 住处 yet takes the one a ticket gives (records: ticket rows with customer_phone,
    building, unit, room); one with a 住处 keeps it."""
    db.executemany("UPDATE customers SET building = ?, unit = ?, room = ? WHERE phone = ? AND building IS NULL"
                   " AND unit IS NULL AND room IS NULL",
                   [(r["building"], r["unit"], r["room"], r["customer_phone"]) for r in records
                    if r["customer_phone"] and (r["building"] or r["unit"] or r["room"])])


def upsert(db, phone: str, name: str | None, at: str) -> None:
    upsert_many(db, [(phone, name, at)])


def upsert_many(db, contacts) -> None:
    """Customers from (phone, name, at) contacts, in one statement for a batch. A phone met several times in the
    batch is written once, as the contacts one after another would leave it: created at its first contact, named
    by the first that gives a name (updated then)."""
    first: dict = {}
    for phone, name, at in contacts:
        seen = first.get(phone)
        if seen is None:
            first[phone] = [phone, name or None, at, at]
        elif seen[1] is None and name:
            seen[1], seen[3] = name, at
    db.executemany(_UPSERT, first.values())


SORTABLE = {"phone", "name", "tickets", "last_contact_at"}
_ADDRESS_WORDS = {"building": N_("building"), "unit": N_("unit"), "room": N_("room")}

_SUMMARY_SQL = """
    SELECT c.phone, c.name, c.vip, c.no_callback, c.tags, c.building, c.unit, c.room,
           (SELECT COUNT(*) FROM tickets t WHERE t.customer_phone = c.phone) AS tickets,
           (SELECT MAX(opened_at) FROM tickets t WHERE t.customer_phone = c.phone) AS last_contact_at
    FROM customers c
"""


def to_json(row, display) -> dict:
    return {
        "phone": row["phone"],
        "name": row["name"],
        "vip": bool(row["vip"]),
        "no_callback": bool(row["no_callback"]),
        "tags": json.loads(row["tags"]),
        "building": row["building"],
        "unit": row["unit"],
        "room": row["room"],
        "tickets": row["tickets"],
        "last_contact_at": display(row["last_contact_at"]),
    }


def get(db, phone: str, display) -> dict:
    normalised = normalise_phone(phone)
    row = one_or_refuse(db, _SUMMARY_SQL + " WHERE c.phone = ?", (normalised,),
                        _("no customer with phone {phone}; see 'cs customer list'").format(phone=phone))
    return to_json(row, display)


def list_customers(db, display, *, search=None, vip=None, building=None, limit=None,
                   sort="-last_contact_at") -> list[dict]:
    filters = Filters()  # on the summary's columns, so that tickets and last_contact_at sort too
    if building:
        filters.add("building = :building", building=building.strip())
    if search:
        filters.add("(instr(phone, :search) > 0 OR instr(COALESCE(name, ''), :search) > 0)", search=search)
    if vip is not None:
        filters.add("vip = :vip", vip=1 if vip else 0)
    sql, params = listing("SELECT * FROM (" + _SUMMARY_SQL + ")", filters, sort, SORTABLE, limit=limit)
    return [to_json(row, display) for row in db.all(sql, params)]


def set_flags(db, phone: str, *, at: str, actor: str, display, name=None, vip=None, no_callback=None,
              tag=(), untag=(), address=None) -> dict:
    """Create or change a customer's record; `tag`/`untag` add and remove tags (a visit plan's scope tag:TAG)."""
    normalised = normalise_phone(phone)
    if name is not None and not name.strip():
        raise CSError(_("a customer's name may not be empty"))
    existing = db.one("SELECT * FROM customers WHERE phone = ?", (normalised,))
    before = dict(existing) if existing else None
    if existing is None:
        db.execute(
            "INSERT INTO customers (phone, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (normalised, name, at, at),
        )
    changes = {"name": name.strip() if name else None, "vip": vip, "no_callback": no_callback}
    if tag or untag:
        current = json.loads((existing["tags"] if existing else None) or "[]")
        wanted = [t for t in current if t not in untag] + [t for t in dict.fromkeys(_clean_tags(tag)) if t not in current]
        changes["tags"] = json.dumps(wanted, ensure_ascii=False)
    changes = {k: (int(v) if isinstance(v, bool) else v) for k, v in changes.items() if v is not None}
    for key, value in (address or {}).items():  # the 住处: '' clears a part
        if value is not None:
            changes[key] = clean_text(value, _ADDRESS_WORDS[key], 100 if key == "building" else 40)
    if changes:
        assignments = ", ".join(f"{key} = :{key}" for key in changes)
        db.execute(
            f"UPDATE customers SET {assignments}, updated_at = :at WHERE phone = :phone",
            {**changes, "at": at, "phone": normalised},
        )
    after = dict(db.one("SELECT * FROM customers WHERE phone = ?", (normalised,)))
    db.audit(at, actor, "customer.set", "customer", normalised, before, after)
    return get(db, normalised, display)
