"""The office table: its schema, the one reader and validation, uploads, filtering and localising."""
