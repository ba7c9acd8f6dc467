-- PostgreSQL twin of migrations/sqlite/0004_admin.sql (INTEGER → BIGINT; NOCASE is the
-- collation made in 0001).

-- The admin lists orders newest first, filtered by status: keyset pagination on (created_at, id).
CREATE INDEX orders_status_created ON orders (status, created_at, id);
CREATE INDEX orders_email ON orders (email COLLATE nocase);

-- Refunds asked for from the admin, one row per attempt (its idempotency key), until Stripe's
-- events say how each ended.
CREATE TABLE refund_requests (
    attempt_key      TEXT    PRIMARY KEY,
    order_id         TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount_minor     BIGINT  NOT NULL CHECK (amount_minor > 0),
    reason           TEXT,
    stripe_refund_id TEXT,
    created_at       BIGINT  NOT NULL DEFAULT unixepoch()
);
CREATE INDEX refund_requests_order ON refund_requests (order_id);
