-- Transactional email through an outbox: the transaction that changes an order also inserts the
-- email its change calls for, keyed so that the same change never makes two. A sender task
-- delivers what is due, with retries and backoff, and records every attempt.
CREATE TABLE email_outbox (
    id              INTEGER PRIMARY KEY,
    -- What made this email, e.g. 'ord_…:receipt' or 'ord_…:refund:re_…': one email per change.
    dedupe_key      TEXT    NOT NULL UNIQUE,
    -- NULL for emails about several orders ("find my order").
    order_id        TEXT    REFERENCES orders (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    -- What the message says (amounts, items, links), as JSON; rendered when sent or shown.
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT (unixepoch()),
    last_error      TEXT,
    created_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    sent_at         INTEGER
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_outbox_order ON email_outbox (order_id);
CREATE INDEX email_outbox_recipient ON email_outbox (recipient COLLATE NOCASE, created_at);

-- One row per delivery attempt.
CREATE TABLE email_attempts (
    id       INTEGER PRIMARY KEY,
    email_id INTEGER NOT NULL REFERENCES email_outbox (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL DEFAULT (unixepoch()),
    ok       INTEGER NOT NULL,
    error    TEXT
);
CREATE INDEX email_attempts_email ON email_attempts (email_id);

-- Links sent by "find my order": the SHA-256 of a random token, the order it opens, and until when.
CREATE TABLE order_links (
    token_hash TEXT    PRIMARY KEY,
    order_id   TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
