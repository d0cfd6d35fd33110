//! The cowork store: SQLite schema, migrations and queries for tasks and their event logs.
