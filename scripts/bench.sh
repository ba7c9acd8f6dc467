#!/usr/bin/env bash
# Benchmarks that print figures (not tests): one command builds the release site and prints one
# table, every row measured in this run, each against its goal (issue 11):
#   - the browser bundle per chunk: raw, gzip and brotli bytes (as served, precompressed);
#   - what Chromium downloads on a first and a repeat visit, and navigation-to-hydrated for a
#     product page unthrottled and under two emulated networks (end2end/bench/page-load.mjs);
#   - webhook 2xx to status shown in Chromium;
#   - the admin's order list at 1,000,000 orders (BENCH_ORDERS to change);
#   - webhook ingest, the catalog `/` and a product page under load at 16 connections, and a bare
#     leptos_axum page (examples/bench_bare.rs, same release profile) as the reference. Load is
#     generated on this machine against 127.0.0.1 only, bounded in count (BENCH_EVENTS,
#     BENCH_REQUESTS) and 10 s per request.
# The admin, webhook and page rows are measured on SQLite and on PostgreSQL (", PostgreSQL" rows):
# a cluster of this run's own (scripts/lib.sh's pg_start, in target/bench/pg, removed at the end),
# restarted with a server's durability (fsync and full_page_writes on, synchronous_commit
# BENCH_PG_SYNCHRONOUS_COMMIT, default on: PostgreSQL's defaults, which the app keeps), one
# database per benchmark. BENCH_POSTGRES=0 leaves PostgreSQL out.
# Everything runs the release build. Raw lines go to target/bench/results.txt.
# BENCH_BASELINE=/path/to/an/older/checkout-binary also loads the same pages from that binary,
# in the same run (for before/after figures).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_bindgen
ensure_tools
ensure_chromium
ensure_e2e_packages
"$ROOT/scripts/build-site.sh" --release

step "Release build of the benchmark programs"
cargo build -q --release --no-default-features --features ssr \
    --example bench_admin_orders --example bench_http --example bench_bare
release="$TARGET_DIR/release"

ORDERS="${BENCH_ORDERS:-1000000}"
EVENTS="${BENCH_EVENTS:-20000}"
REQUESTS="${BENCH_REQUESTS:-10000}"
ROUNDS="${BENCH_ROUNDS:-3}"
POSTGRES="${BENCH_POSTGRES:-1}"
PG_SYNC="${BENCH_PG_SYNCHRONOUS_COMMIT:-on}"
PRODUCT=/products/stoneware-mug
CONNECTIONS=16
mkdir -p target/bench
results="$ROOT/target/bench/results.txt"
: >"$results"
record() { tee -a "$results"; }
# A benchmark that fails leaves a line saying so, and the others still run.
run() { local what="$1"; shift; "$@" || echo "$what: failed (exit $?; see the output above)"; }
servers=()
PG_BENCH_DIR="$ROOT/target/bench/pg"
# At exit: the servers this run started, then its PostgreSQL cluster and its folder.
cleanup() {
    for s in ${servers[@]+"${servers[@]}"}; do kill "$s" 2>/dev/null || true; done
    for s in ${servers[@]+"${servers[@]}"}; do wait "$s" 2>/dev/null || true; done
    if [ -n "${PG_DIR:-}" ]; then pg_stop; fi
    rm -rf "$PG_BENCH_DIR"
}
trap cleanup EXIT
# pg_start's cluster is a test one (fsync, full_page_writes and synchronous_commit off): for
# figures it is restarted, same folder and port, as a server runs — fsync and full_page_writes
# on, synchronous_commit $PG_SYNC — with pg_stat_statements loaded and WAL flushes timed (what
# the load spent its time on goes to target/bench/pg-statements.txt). Everything else is
# PostgreSQL's default.
pg_bench_start() {
    rm -rf "$PG_BENCH_DIR"
    pg_start "$PG_BENCH_DIR"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -m fast -o \
        "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on -c full_page_writes=on -c synchronous_commit=$PG_SYNC -c shared_preload_libraries=pg_stat_statements -c track_wal_io_timing=on" \
        restart >/dev/null
    psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_stat_statements" >/dev/null
}
# A new, empty database for one benchmark; prints its URL.
pg_database() {
    psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${PG_URL%/postgres}/$1"
}
# CPU time so far (clock ticks) of these processes; of the cluster's (its postmaster and every
# process it started: backends, WAL writer, checkpointer); of the machine (busy, then all).
cpu_ticks() {
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    echo "$t"
}
pg_procs() {
    local postmaster
    postmaster="$(head -1 "$PG_DIR/data/postmaster.pid")"
    echo "$postmaster" $(pgrep -P "$postmaster")
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# Runs one load (it prints one "label: figure" line) and adds what it cost in CPU: the server's
# (and, with PG=1, its cluster's) per answered request, and how busy the machine's cores were
# (everything on them: this load, the server, PostgreSQL, anyone else's build).
# Usage: with_cpu SERVER_PID PG command...
with_cpu() {
    local app="$1" db="$2"; shift 2
    local a0 d0=0 a1 d1=0 m0 m1 line
    a0="$(cpu_ticks "$app")"; [ "$db" = 0 ] || d0="$(cpu_ticks $(pg_procs))"; m0="$(machine_ticks)"
    line="$("$@")" || return $?
    a1="$(cpu_ticks "$app")"; [ "$db" = 0 ] || d1="$(cpu_ticks $(pg_procs))"; m1="$(machine_ticks)"
    LINE="$line" awk -v app=$((a1 - a0)) -v db=$((d1 - d0)) -v pg="$db" -v hz="$(getconf CLK_TCK)" \
        -v m0="$m0" -v m1="$m1" 'BEGIN {
            line = ENVIRON["LINE"]; ok = (match(line, /: [0-9]+ ok/) ? substr(line, RSTART + 2, RLENGTH - 5) + 0 : 0)
            if (ok == 0) { print line; exit }
            split(m0, a, " "); split(m1, b, " ")
            per = 1e6 / hz / ok
            printf "%s, CPU per request: server %.0f µs%s, cores %.0f %% busy\n", line, app * per,
                pg == 1 ? sprintf(" + PostgreSQL %.0f µs", db * per) : "", 100 * (b[1] - a[1]) / (b[2] - a[2])
        }'
}
# The settings the figures were measured with, as one line for the table's notes.
pg_settings() {
    psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "SELECT 'PostgreSQL ' || current_setting('server_version')
        || ' on this machine, TCP 127.0.0.1, a cluster of this run: '
        || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
        FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
            'shared_buffers', 'max_connections', 'wal_level', 'commit_delay', 'max_wal_size', 'work_mem',
            'shared_preload_libraries')"
}
wait_for() { for _ in $(seq 1 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
# Each server must be the one this run started: a port already answering (a server left from
# an earlier run) stops the run, and so does a server that exited after starting.
ensure_free() {
    for port in "$@"; do
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
            echo "port $port is already in use: stop what listens there first" >&2
            exit 1
        fi
    done
}
ensure_running() { for pid in "$@"; do kill -0 "$pid" 2>/dev/null || { echo "a server exited at start" >&2; exit 1; }; done; }
ensure_free 3300 3301 3302 3303 3304 3305

step "Bundle (as served: in a content-named folder, precompressed at build time)"
# Every file of the bundle: the shopper's (checkout.*) and the admin's lazily loaded chunks.
bundle_dir="target/site/$(cat "$release/bundle.txt")"
for file in "$bundle_dir"/*.wasm "$bundle_dir"/*.js "$bundle_dir"/*.css; do
    printf 'bundle %s: raw %s, gzip %s, brotli %s bytes\n' "$(basename "$file")" \
        "$(stat -c %s "$file")" "$(stat -c %s "$file.gz")" "$(stat -c %s "$file.br")"
done | record

step "In Chromium: bytes on the wire, navigation to hydrated, webhook to status shown"
rm -f target/bench/bench.db*
DATABASE_URL=sqlite:target/bench/bench.db CHECKOUT_ADDR=127.0.0.1:3300 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn SIMULATED_PAYMENTS=1 \
    "$release/checkout" &
servers+=($!)
wait_for http://127.0.0.1:3300/
ensure_running "${servers[@]}"
(cd end2end && run "page load in Chromium" env BENCH_BASE=http://127.0.0.1:3300 BENCH_PRODUCT="$PRODUCT" node bench/page-load.mjs) | record
# A page on a lazy route, opened directly: it hydrates once its chunks have come too.
(cd end2end && run "page load in Chromium, /checkout" env BENCH_BASE=http://127.0.0.1:3300 BENCH_PRODUCT=/checkout node bench/page-load.mjs) |
    grep -F '/checkout' | record
(cd end2end && run "webhook 2xx -> status in the browser" env BENCH_DB="$ROOT/target/bench/bench.db" node bench/webhook-latency.mjs) | record
kill "${servers[-1]}" 2>/dev/null; wait "${servers[-1]}" 2>/dev/null || true

step "Admin order list at $ORDERS orders"
run "admin order list" "$release/examples/bench_admin_orders" "$ORDERS" | sed 's/^/admin at '"$ORDERS"' orders, /' | record

if [ "$POSTGRES" != 0 ]; then
    step "PostgreSQL: a cluster for this run (synchronous_commit=$PG_SYNC, fsync on)"
    pg_bench_start
    echo "note, PostgreSQL: $(pg_settings) (scripts/lib.sh's pg_start, restarted with fsync, full_page_writes and synchronous_commit as a server runs; each benchmark its own database)" | record

    step "Admin order list at $ORDERS orders, PostgreSQL"
    admin_url="$(pg_database bench_admin)"
    run "admin order list, PostgreSQL" env BENCH_DATABASE_URL="$admin_url" "$release/examples/bench_admin_orders" "$ORDERS" |
        sed 's/^/admin at '"$ORDERS"' orders, /' | record
    # Its pages out of the way of the load test (DROP DATABASE also checkpoints).
    psql "$PG_URL" -qAt -c "DROP DATABASE bench_admin" >/dev/null
fi

step "Webhook ingest and pages, $CONNECTIONS connections"
rm -f target/bench/load.db*
# Stripe keys pointing nowhere: events for unknown PaymentIntents are recorded and acknowledged
# (each one a write) and nothing calls out.
DATABASE_URL=sqlite:target/bench/load.db CHECKOUT_ADDR=127.0.0.1:3301 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
    STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
    STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
    "$release/checkout" &
servers+=($!)
shop_pid=$!
"$release/examples/bench_bare" 127.0.0.1:3302 &
servers+=($!)
bare_pid=$!
wait_for http://127.0.0.1:3301/
wait_for http://127.0.0.1:3302/
if [ -n "${BENCH_BASELINE:-}" ]; then
    rm -f target/bench/baseline.db*
    DATABASE_URL=sqlite:target/bench/baseline.db CHECKOUT_ADDR=127.0.0.1:3303 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
        STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
        STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
        "$BENCH_BASELINE" &
    servers+=($!)
    baseline_pid=$!
    wait_for http://127.0.0.1:3303/
fi
if [ "$POSTGRES" != 0 ]; then
    # The same shop on PostgreSQL (its simulators' SQLite file beside the others, not in the
    # checkout's root).
    rm -f target/bench/load-pg-simulators.db*
    DATABASE_URL="$(pg_database bench_load)" SIMULATOR_DATABASE_URL=sqlite:target/bench/load-pg-simulators.db \
        CHECKOUT_ADDR=127.0.0.1:3304 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
        STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
        STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
        "$release/checkout" &
    servers+=($!)
    pg_shop_pid=$!
    wait_for http://127.0.0.1:3304/
    if [ "$PG_SYNC" != off ]; then
        # And once more with commits not waiting for their WAL flush (per connection, through the
        # URL), for webhook ingest only: what the flush costs it.
        rm -f target/bench/load-pg-async-simulators.db*
        DATABASE_URL="$(pg_database bench_load_async)?options=-c%20synchronous_commit%3Doff" \
            SIMULATOR_DATABASE_URL=sqlite:target/bench/load-pg-async-simulators.db \
            CHECKOUT_ADDR=127.0.0.1:3305 LEPTOS_SITE_ROOT=target/site RUST_LOG=error \
            STRIPE_SECRET_KEY=sk_test_bench STRIPE_PUBLISHABLE_KEY=pk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
            STRIPE_API_BASE=http://127.0.0.1:9 RECONCILE_INTERVAL_SECONDS=3600 \
            "$release/checkout" &
        servers+=($!)
        pg_async_pid=$!
        wait_for http://127.0.0.1:3305/
    fi
fi
ensure_running "${servers[@]:1}"
load="$release/examples/bench_http"
pg() { [ "$POSTGRES" != 0 ]; }
"$load" webhooks http://127.0.0.1:3301 whsec_bench 2000 "$CONNECTIONS" >/dev/null # warm-up
! pg || "$load" webhooks http://127.0.0.1:3304 whsec_bench 2000 "$CONNECTIONS" >/dev/null # warm-up
[ -z "${pg_async_pid:-}" ] || "$load" webhooks http://127.0.0.1:3305 whsec_bench 2000 "$CONNECTIONS" >/dev/null # warm-up
BENCH_SERVER=bare "$load" page http://127.0.0.1:3302 / 2000 "$CONNECTIONS" fresh >/dev/null # warm-up
BENCH_SERVER=shop "$load" page http://127.0.0.1:3301 / 2000 "$CONNECTIONS" cookie >/dev/null # warm-up
[ -z "${BENCH_BASELINE:-}" ] || "$load" page http://127.0.0.1:3303 / 2000 "$CONNECTIONS" cookie >/dev/null # warm-up
! pg || "$load" page http://127.0.0.1:3304 / 2000 "$CONNECTIONS" cookie >/dev/null # warm-up
# What PostgreSQL spends the load's time on, from here.
! pg || psql "$PG_URL" -qAt -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
# BENCH_ROUNDS rounds (default 3), the servers taking turns within each round, so that a
# neighbour's load on this shared machine hits them alike; each row is the round with the
# median throughput, with the range of all rounds.
rounds="$(mktemp -d)"
for round in $(seq 1 "$ROUNDS"); do
    # Each event a write (BENCH_EVENTS per round), on each database in turn.
    run "webhook ingest" with_cpu "$shop_pid" 0 "$load" webhooks http://127.0.0.1:3301 whsec_bench "$EVENTS" "$CONNECTIONS"
    ! pg || run "webhook ingest, PostgreSQL" with_cpu "$pg_shop_pid" 1 env BENCH_SERVER=PostgreSQL "$load" webhooks http://127.0.0.1:3304 whsec_bench "$EVENTS" "$CONNECTIONS"
    [ -z "${pg_async_pid:-}" ] || run "webhook ingest, PostgreSQL, synchronous_commit=off" with_cpu "$pg_async_pid" 1 \
        env BENCH_SERVER="PostgreSQL, synchronous_commit=off" "$load" webhooks http://127.0.0.1:3305 whsec_bench "$EVENTS" "$CONNECTIONS"
    for visitor in fresh cookie; do
        for path in / "$PRODUCT"; do
            run "GET $path ($visitor), shop" with_cpu "$shop_pid" 0 env BENCH_SERVER=shop "$load" page http://127.0.0.1:3301 "$path" "$REQUESTS" "$CONNECTIONS" "$visitor"
            ! pg || run "GET $path ($visitor), shop, PostgreSQL" with_cpu "$pg_shop_pid" 1 env BENCH_SERVER="shop, PostgreSQL" "$load" page http://127.0.0.1:3304 "$path" "$REQUESTS" "$CONNECTIONS" "$visitor"
            if [ -n "${BENCH_BASELINE:-}" ]; then
                run "GET $path ($visitor), baseline" with_cpu "$baseline_pid" 0 env BENCH_SERVER=baseline "$load" page http://127.0.0.1:3303 "$path" "$REQUESTS" "$CONNECTIONS" "$visitor"
            fi
        done
    done
    # As a browser asks for it: brotli, compressed per response by the server.
    run "GET / (cookie) br, shop" with_cpu "$shop_pid" 0 env BENCH_SERVER=shop BENCH_ENCODING=br "$load" page http://127.0.0.1:3301 / "$REQUESTS" "$CONNECTIONS" cookie
    if [ -n "${BENCH_BASELINE:-}" ]; then
        run "GET / (cookie) br, baseline" with_cpu "$baseline_pid" 0 env BENCH_SERVER=baseline BENCH_ENCODING=br "$load" page http://127.0.0.1:3303 / "$REQUESTS" "$CONNECTIONS" cookie
    fi
    run "GET / (fresh), bare" with_cpu "$bare_pid" 0 env BENCH_SERVER=bare "$load" page http://127.0.0.1:3302 / "$REQUESTS" "$CONNECTIONS" fresh
done | tee "$rounds/all"
# One line per label: the median round by requests/s, plus the range.
cut -d: -f1 "$rounds/all" | awk '!seen[$0]++' | while IFS= read -r label; do
    grep -F "$label: " "$rounds/all" | awk -v label="$label" '
        { if (match($0, /[0-9.]+\/s,/)) { r[NR] = substr($0, RSTART, RLENGTH - 3) + 0 } else { r[NR] = -1 }; line[NR] = $0 }
        END {
            n = NR; for (i = 1; i <= n; i++) idx[i] = i
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[idx[j]] < r[idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
            m = idx[int((n + 1) / 2)]
            printf "%s (median of %d rounds; %.0f–%.0f/s)\n", line[m], n, r[idx[1]], r[idx[n]]
        }'
done | record
rm -rf "$rounds"
if pg; then
    # The statements of the load on PostgreSQL by total time, and its WAL flushes (raw, not in
    # the table; the cluster's, so both load databases).
    psql "$PG_URL" -q -c "SELECT datname, calls, round(total_exec_time::numeric, 1) AS total_ms,
            round(mean_exec_time::numeric, 3) AS mean_ms, round(max_exec_time::numeric, 1) AS max_ms,
            wal_bytes, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname LIKE 'bench_load%' ORDER BY total_exec_time DESC LIMIT 40" >"$ROOT/target/bench/pg-statements.txt" || true
    psql "$PG_URL" -qAt -c "SELECT 'WAL: ' || wal_records || ' records, ' || pg_size_pretty(wal_bytes) || ', '
            || wal_sync || ' flushes (' || round(wal_sync_time::numeric) || ' ms), '
            || wal_write || ' writes (' || round(wal_write_time::numeric) || ' ms)' FROM pg_stat_wal" >>"$ROOT/target/bench/pg-statements.txt" 2>/dev/null || true
fi

step "Results"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
grep -v '^admin at [0-9]* orders, inserted' "$results" >"$results.table"
node scripts/bench-table.mjs "$results.table"
