"""The server-rendered UI kit every domain's pages are built on (L4): view helpers and generic
pages in `views`, form bases and fast widgets in `forms`, the CRUD declarations in `crud`.
Like the rest of `core`, it imports nothing from the other opsdesk apps."""
