"""The SQLite file: opening it, migrations by name, the audit trail, backups and checks."""
