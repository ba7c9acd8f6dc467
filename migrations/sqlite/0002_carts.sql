-- Carts belong to a visitor's session: the session stores the cart id, the cart lives here so
-- that concurrent requests from two tabs update it atomically instead of overwriting each other.
CREATE TABLE carts (
    id         TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Quantities only; prices are always read from `products`.
CREATE TABLE cart_items (
    cart_id    TEXT    NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (cart_id, product_id)
);
