"""Finding a person: a query against every camera and its index file (query), and removing a
person from a store (forget)."""
