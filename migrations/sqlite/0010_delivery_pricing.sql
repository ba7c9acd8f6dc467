-- From paid to delivered, part 1: where the goods go and what the order costs.
-- Shipping zones and rates, tax rates and discount codes are the merchant's settings (admin
-- pages); an order stores its address and the prices it was made with, so a later change of
-- a rate, a tax or a code never rewrites a past order.

-- Per-product weight (grams) for rates priced by weight.
ALTER TABLE products ADD COLUMN weight_grams INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0);
UPDATE products SET weight_grams = CASE slug
    WHEN 'ceramic-pour-over' THEN 600
    WHEN 'stoneware-mug' THEN 400
    WHEN 'cast-iron-skillet' THEN 2300
    WHEN 'linen-apron' THEN 300
    WHEN 'chefs-knife' THEN 250
    WHEN 'walnut-board' THEN 1800
    WHEN 'tea-tin' THEN 200
    WHEN 'copper-kettle' THEN 1100
    WHEN 'felt-trivet' THEN 150
    ELSE 0 END;

-- A zone is a list of countries; a country is in at most one zone.
CREATE TABLE shipping_zones (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 80)
);
CREATE TABLE shipping_zone_countries (
    country TEXT    PRIMARY KEY CHECK (length(country) = 2 AND country = upper(country)),
    zone_id INTEGER NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE
);

-- flat: amount_minor. free_over: amount_minor, free from free_over_minor (items after discount).
-- by_weight: amount_minor plus per_kg_minor for each started kilogram of the order's weight.
CREATE TABLE shipping_rates (
    id              INTEGER PRIMARY KEY,
    zone_id         INTEGER NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL CHECK (name <> '' AND length(name) <= 80),
    kind            TEXT    NOT NULL CHECK (kind IN ('flat', 'free_over', 'by_weight')),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    free_over_minor INTEGER CHECK (free_over_minor IS NULL OR free_over_minor > 0),
    per_kg_minor    INTEGER CHECK (per_kg_minor IS NULL OR per_kg_minor >= 0),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CHECK (kind <> 'free_over' OR free_over_minor IS NOT NULL),
    CHECK (kind <> 'by_weight' OR per_kg_minor IS NOT NULL)
);
CREATE INDEX shipping_rates_zone ON shipping_rates (zone_id);

-- Tax per country, and per region where it matters ('' = the whole country). rate_bp is in
-- basis points (2000 = 20 %). Whether prices include it is the shop's TAX_MODE.
CREATE TABLE tax_rates (
    id                  INTEGER PRIMARY KEY,
    country             TEXT    NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
    region              TEXT    NOT NULL DEFAULT '' CHECK (length(region) <= 3),
    name                TEXT    NOT NULL CHECK (name <> '' AND length(name) <= 80),
    rate_bp             INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    applies_to_shipping INTEGER NOT NULL DEFAULT 1 CHECK (applies_to_shipping IN (0, 1)),
    UNIQUE (country, region)
);

-- Discount codes: percent_bp (1000 = 10 %) or amount_minor off the items; limits are counted
-- over redemptions that are held (an open order) or taken (paid).
CREATE TABLE discount_codes (
    id                 INTEGER PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE CHECK (code <> '' AND length(code) <= 40 AND code = upper(code)),
    kind               TEXT    NOT NULL CHECK (kind IN ('percent', 'fixed')),
    percent_bp         INTEGER CHECK (percent_bp IS NULL OR percent_bp BETWEEN 1 AND 10000),
    amount_minor       INTEGER CHECK (amount_minor IS NULL OR amount_minor > 0),
    min_subtotal_minor INTEGER NOT NULL DEFAULT 0 CHECK (min_subtotal_minor >= 0),
    starts_at          INTEGER,
    ends_at            INTEGER,
    max_redemptions    INTEGER CHECK (max_redemptions IS NULL OR max_redemptions > 0),
    per_email_limit    INTEGER CHECK (per_email_limit IS NULL OR per_email_limit > 0),
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at         INTEGER NOT NULL DEFAULT (unixepoch()),
    CHECK (kind <> 'percent' OR percent_bp IS NOT NULL),
    CHECK (kind <> 'fixed' OR amount_minor IS NOT NULL)
);

-- One code per order. held: with an open order, like its stock; taken: the order was paid;
-- released: canceled or expired (given back).
CREATE TABLE discount_redemptions (
    order_id TEXT    PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    code_id  INTEGER NOT NULL REFERENCES discount_codes (id),
    email    TEXT    NOT NULL,
    state    TEXT    NOT NULL CHECK (state IN ('held', 'taken', 'released')),
    at       INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX discount_redemptions_code ON discount_redemptions (code_id, state);

-- The order's address (JSON of domain::address::Address), the rate and code the shopper chose,
-- and how its total was made (JSON of domain::pricing::Breakdown). NULL for older orders.
ALTER TABLE orders ADD COLUMN shipping_address TEXT;
ALTER TABLE orders ADD COLUMN shipping_rate_id INTEGER;
ALTER TABLE orders ADD COLUMN discount_code TEXT;
ALTER TABLE orders ADD COLUMN pricing TEXT;

-- Each line's share of the discount and its tax, at the rate it was sold with.
ALTER TABLE order_items ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);
ALTER TABLE order_items ADD COLUMN tax_minor INTEGER NOT NULL DEFAULT 0 CHECK (tax_minor >= 0);
ALTER TABLE order_items ADD COLUMN tax_rate_bp INTEGER NOT NULL DEFAULT 0;

-- A shop ships somewhere from the start: the merchant edits these in the admin.
INSERT INTO shipping_zones (id, name) VALUES (1, 'United States'), (2, 'Europe'), (3, 'United Kingdom');
INSERT INTO shipping_zone_countries (country, zone_id) VALUES
 ('US', 1),
 ('DE', 2), ('FR', 2), ('NL', 2), ('IE', 2), ('ES', 2), ('IT', 2),
 ('GB', 3);
INSERT INTO shipping_rates (zone_id, name, kind, amount_minor, free_over_minor, per_kg_minor) VALUES
 (1, 'Standard', 'free_over', 595, 7500, NULL),
 (1, 'Express', 'by_weight', 1200, NULL, 300),
 (2, 'Standard', 'by_weight', 900, NULL, 250),
 (3, 'Standard', 'flat', 800, NULL, NULL);
INSERT INTO tax_rates (country, region, name, rate_bp, applies_to_shipping) VALUES
 ('DE', '', 'VAT', 1900, 1), ('FR', '', 'VAT', 2000, 1), ('NL', '', 'VAT', 2100, 1),
 ('IE', '', 'VAT', 2300, 1), ('ES', '', 'VAT', 2100, 1), ('IT', '', 'VAT', 2200, 1),
 ('GB', '', 'VAT', 2000, 1);
