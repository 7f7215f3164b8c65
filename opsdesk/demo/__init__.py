"""The demo data (L5), part of the shell: `opsdesk demo` runs each app's demo step in order.

Each app contributes its own step in `<app>/demo.py`; this app, which may depend on every other,
lists them (steps.py), so no app below the shell imports another app's demo data."""
