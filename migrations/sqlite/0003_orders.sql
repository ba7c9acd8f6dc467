-- Orders, built from the cart at checkout with server-side prices.
CREATE TABLE orders (
    id                TEXT    PRIMARY KEY,               -- public and unguessable: ord_ + 24 random characters
    cart_id           TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    total_minor       INTEGER NOT NULL CHECK (total_minor > 0),
    payment_intent_id TEXT    UNIQUE,
    -- The payment facts the status is derived from (domain::order::OrderState, as JSON).
    state             TEXT    NOT NULL,
    stock_committed   INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at        INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX orders_cart ON orders (cart_id, status);
CREATE INDEX orders_created ON orders (created_at, id);

-- What was bought, as it was priced when the order was made.
CREATE TABLE order_items (
    order_id         TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    name             TEXT    NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

-- Append-only timeline: what happened to the order and why.
CREATE TABLE order_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at              INTEGER NOT NULL DEFAULT (unixepoch()),
    kind            TEXT    NOT NULL,
    stripe_event_id TEXT,
    old_status      TEXT,
    new_status      TEXT,
    detail          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Every Stripe event processed, by Stripe's id: a duplicate delivery finds its row and changes nothing.
CREATE TABLE webhook_events (
    id          TEXT    PRIMARY KEY,
    type        TEXT    NOT NULL,
    order_id    TEXT,
    received_at INTEGER NOT NULL DEFAULT (unixepoch())
);
