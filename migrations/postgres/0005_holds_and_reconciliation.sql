-- PostgreSQL twin of migrations/sqlite/0005_holds_and_reconciliation.sql (INTEGER → BIGINT).

-- Self-healing orders: stock held from checkout to payment or expiry, a revision per order for
-- the PaymentIntent update key, and where reconciliation stopped reading Stripe's events.

-- none: nothing held (orders from before holds); held: taken out of stock for this order;
-- taken: sold (paid); released: given back (canceled or expired).
ALTER TABLE orders ADD COLUMN stock_hold TEXT NOT NULL DEFAULT 'none'
    CHECK (stock_hold IN ('none', 'held', 'taken', 'released'));
UPDATE orders SET stock_hold = 'taken' WHERE stock_committed = 1;
ALTER TABLE orders DROP COLUMN stock_committed;

-- Bumped each time the order's amount changes; the PaymentIntent update key carries it.
ALTER TABLE orders ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
-- When an unpaid order's hold runs out (unix seconds).
ALTER TABLE orders ADD COLUMN expires_at BIGINT;
-- A payment succeeded after the hold was given back and the stock was no longer there.
ALTER TABLE orders ADD COLUMN oversold BIGINT NOT NULL DEFAULT 0;

-- One order a cart can still pay at a time: two checkout starts at once find the same order.
-- Before this index existed two could be made; keep the newest open.
UPDATE orders SET status = 'canceled'
 WHERE status IN ('pending', 'payment_failed', 'processing')
   AND payment_intent_id IS NULL
   AND EXISTS (SELECT 1 FROM orders newer
                WHERE newer.cart_id = orders.cart_id AND newer.created_at > orders.created_at
                  AND newer.status IN ('pending', 'payment_failed', 'processing'));
CREATE UNIQUE INDEX orders_one_open_per_cart ON orders (cart_id)
    WHERE status IN ('pending', 'payment_failed', 'processing');
CREATE INDEX orders_expiry ON orders (expires_at) WHERE stock_hold = 'held';

-- Reconciliation state that must survive a restart (the events sweep's cursor).
CREATE TABLE sync_state (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);

-- What an order holds, for the cart of the shopper who holds it (their own hold is theirs).
CREATE VIEW cart_holds AS
SELECT o.cart_id, i.product_id, i.quantity
  FROM orders o JOIN order_items i ON i.order_id = o.id
 WHERE o.stock_hold = 'held' AND o.status IN ('pending', 'payment_failed', 'processing');
