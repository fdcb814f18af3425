"""Storage: SQLAlchemy tables, the store, migrations. Nothing SQLAlchemy leaves this package."""
