-- PostgreSQL twin of migrations/sqlite/0008_gateways.sql (identical statements).

-- Orders know their payment gateway and its references: Stripe's PaymentIntent stays in
-- payment_intent_id; another gateway keeps its order id in gateway_ref and the id of the payment
-- it took (PayPal's capture) in gateway_payment_ref.
ALTER TABLE orders ADD COLUMN gateway TEXT NOT NULL DEFAULT 'stripe' CHECK (gateway IN ('stripe', 'paypal'));
ALTER TABLE orders ADD COLUMN gateway_ref TEXT;
ALTER TABLE orders ADD COLUMN gateway_payment_ref TEXT;
CREATE UNIQUE INDEX orders_gateway_ref ON orders (gateway, gateway_ref) WHERE gateway_ref IS NOT NULL;
CREATE INDEX orders_gateway_payment_ref ON orders (gateway_payment_ref) WHERE gateway_payment_ref IS NOT NULL;
-- Which gateway each event came from, for per-gateway analytics.
ALTER TABLE webhook_events ADD COLUMN gateway TEXT NOT NULL DEFAULT 'stripe';
