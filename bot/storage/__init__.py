"""The store: SQLAlchemy models, repositories and migrations. Never imports the web or bot layers."""
