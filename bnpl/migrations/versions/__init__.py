"""The revisions, in order (Alembic skips this file)."""
