"""Persistence: SQLAlchemy models, engine set-up, migrations, repositories, unit of work."""
