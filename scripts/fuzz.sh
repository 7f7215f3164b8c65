#!/usr/bin/env bash
# `make fuzz` (issue 7): schemathesis against a running `opsdesk serve` on PostgreSQL with the demo
# data, as a staff user and as a customer, every operation, valid and invalid input. Counts the
# requests the server answered and its 5xx answers from its own request log; fails on any 5xx or
# on fewer than FUZZ_MIN_REQUESTS requests.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG=${FUZZ_PG:-postgres://postgres@127.0.0.1:5432}
DB=opsdesk_fuzz
PORT=${FUZZ_PORT:-8765}
EXAMPLES=${FUZZ_EXAMPLES:-5}
MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-5000}
WORK=$(mktemp -d)
export DATABASE_URL="$PG/$DB" OPSDESK_DATA_DIR="$WORK" OPSDESK_LOG_FORMAT=json OPSDESK_LOG_LEVEL=INFO
export OPSDESK_SECRET_KEY=${OPSDESK_SECRET_KEY:-fuzz-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export OPSDESK_API_RATE_PER_MINUTE=1000000

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
$BIN/opsdesk migrate --no-input >/dev/null
$BIN/opsdesk demo >/dev/null
STAFF=$($BIN/opsdesk token create --user administrator@provider.example --expires 1)
CUSTOMER=$($BIN/opsdesk token create --user ops@northwind.example --expires 1)

$BIN/opsdesk serve --no-worker --port "$PORT" >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER=$!
# The logs are kept in var/fuzz/ (the server's JSON request log with any traceback, schemathesis' output).
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; mkdir -p var/fuzz; cp "$WORK"/*.log var/fuzz/; rm -rf "$WORK"' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

status=0
for who in staff customer; do
  token=$STAFF; [ "$who" = customer ] && token=$CUSTOMER
  echo "== schemathesis as $who =="
  $BIN/schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" --max-examples "$EXAMPLES" --seed 7 \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --continue-on-failure --request-timeout 30 --no-color >"$WORK/st-$who.log" 2>&1 || status=1
  sed -n '/^Failures:/,$p' "$WORK/st-$who.log"
  grep -E "^(_+ |E |\[[0-9]{3}\]|    curl )" "$WORK/st-$who.log" | head -n 40 || true
done

requests=$(grep -c '"message": "request"' "$WORK/serve.log" || true)
errors=$(grep '"message": "request"' "$WORK/serve.log" | grep -c '"status": 5[0-9][0-9]' || true)
echo "fuzz: $requests requests answered by the server, $errors server errors (5xx)"
grep '"message": "request"' "$WORK/serve.log" | grep '"status": 5[0-9][0-9]' | cut -c1-300 || true
if [ "$errors" -ne 0 ] || [ "$requests" -lt "$MIN_REQUESTS" ]; then status=1; fi
exit $status
