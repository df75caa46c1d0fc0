"""Persistence: SQLAlchemy models, repositories, unit of work, engine, migration runner."""
