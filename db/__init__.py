"""Database layer: schema, migrations and every SQL statement of the project."""
