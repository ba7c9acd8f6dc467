-- From paid to delivered, part 2: fulfilment beside the payment status (domain::fulfilment),
-- shipments with their tracking, and invoices.

-- Where the order's goods are; the payment status (orders.status) is another axis.
ALTER TABLE orders ADD COLUMN fulfilment TEXT NOT NULL DEFAULT 'unfulfilled'
    CHECK (fulfilment IN ('unfulfilled', 'partially_shipped', 'shipped', 'delivered', 'returned', 'canceled'));
-- The merchant's queue: paid orders still to ship, oldest first.
CREATE INDEX orders_fulfilment_queue ON orders (created_at, id)
    WHERE fulfilment IN ('unfulfilled', 'partially_shipped');

-- One parcel. request_key is the merchant's form's one-use key: a double-submitted form finds
-- its shipment and makes no second one (nor a second email).
CREATE TABLE shipments (
    id              INTEGER PRIMARY KEY,
    order_id        TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    request_key     TEXT    NOT NULL UNIQUE CHECK (length(request_key) BETWEEN 8 AND 64),
    carrier         TEXT    NOT NULL CHECK (carrier <> '' AND length(carrier) <= 80),
    tracking_number TEXT    NOT NULL CHECK (tracking_number <> '' AND length(tracking_number) <= 80),
    tracking_url    TEXT    CHECK (tracking_url IS NULL OR (lower(substr(tracking_url, 1, 8)) = 'https://' AND length(tracking_url) <= 500)),
    shipped_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    delivered_at    INTEGER,
    -- Came back: its items went back in stock.
    returned_at     INTEGER
);
CREATE INDEX shipments_order ON shipments (order_id, id);

-- What a parcel carries.
CREATE TABLE shipment_lines (
    shipment_id INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, product_id)
);

-- Invoice numbers: given once, when the order is paid, in the transaction that sells its
-- stock, as one more than the highest (no AUTOINCREMENT, so a rolled-back payment leaves no
-- gap). An invoice is never deleted or renumbered (nor is its order deleted while it exists),
-- so a number never repeats.
CREATE TABLE invoices (
    number    INTEGER PRIMARY KEY CHECK (number > 0),
    order_id  TEXT    NOT NULL UNIQUE REFERENCES orders (id),
    issued_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TRIGGER invoices_never_deleted BEFORE DELETE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'invoices are never deleted');
END;
CREATE TRIGGER invoices_never_renumbered BEFORE UPDATE OF number, order_id ON invoices
BEGIN
    SELECT RAISE(ABORT, 'invoice numbers never change');
END;
