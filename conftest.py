"""Test-wide settings. Tests run on the real SQLite or PostgreSQL (DATABASE_URL), with Huey in
immediate mode. Never use transactional_db: flushing tables would DELETE audit rows, which the
append-only triggers (L1) refuse by design; browser tests run against a separate server process."""
