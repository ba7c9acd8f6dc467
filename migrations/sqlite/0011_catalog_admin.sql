-- From paid to delivered: the merchant's catalog. Products can be taken off sale (inactive:
-- hidden from the shop, their page a 404, not addable to a cart); uploaded images live in the
-- database, so every app instance serves the same ones; stock changes made by the merchant are
-- kept with their reason.

ALTER TABLE products ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));

-- PNG, JPEG or WebP only (recognised by their first bytes when uploaded), at most 2 MiB.
-- AUTOINCREMENT: an id is never used twice, so `/images/uploads/{id}` can be cached for good.
CREATE TABLE product_images (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    content_type TEXT    NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    bytes        BLOB    NOT NULL CHECK (length(bytes) BETWEEN 1 AND 2097152),
    created_at   INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX product_images_product ON product_images (product_id);

-- Each change of a product's stock made in the admin, with the stock it left (products.stock is
-- what is on sale: open orders' holds are already taken out of it).
CREATE TABLE stock_adjustments (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    delta       INTEGER NOT NULL CHECK (delta <> 0),
    stock_after INTEGER NOT NULL CHECK (stock_after >= 0),
    reason      TEXT    NOT NULL CHECK (reason <> '' AND length(reason) <= 200),
    actor       TEXT    NOT NULL,
    at          INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX stock_adjustments_product ON stock_adjustments (product_id, id);
