-- PostgreSQL twin of migrations/sqlite/0009_payment_attempts.sql (INTEGER → BIGINT).

-- Card payments are confirmed on the server: a PaymentIntent is made only when the shopper
-- presses Pay, for the order's amount at the revision the page showed, and confirmed in the same
-- call. Each press is an attempt, recorded *before* Stripe is called, so an answer lost on the
-- way back (a timeout, a crash) is found again by replaying the same request with the same
-- Idempotency-Key, never by charging again.
CREATE TABLE payment_attempts (
    order_id          TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    attempt           BIGINT  NOT NULL CHECK (attempt >= 0),
    revision          BIGINT  NOT NULL,
    amount_minor      BIGINT  NOT NULL,
    currency          TEXT    NOT NULL,
    idempotency_key   TEXT    NOT NULL UNIQUE,
    -- The form sent to Stripe, as JSON pairs: a replay sends exactly the same request.
    request           TEXT    NOT NULL,
    -- Known once Stripe answered (or a webhook named it).
    payment_intent_id TEXT    UNIQUE,
    -- in_doubt: sent, answer not (yet) known; requires_action, succeeded, processing,
    -- declined (the card said no), refused (Stripe refused the request: nothing charged),
    -- legacy (a PaymentIntent made at checkout start, before this table).
    outcome           TEXT    NOT NULL DEFAULT 'in_doubt'
        CHECK (outcome IN ('in_doubt', 'requires_action', 'succeeded', 'processing', 'declined', 'refused', 'legacy')),
    created_at        BIGINT  NOT NULL DEFAULT unixepoch(),
    PRIMARY KEY (order_id, attempt)
);
CREATE INDEX payment_attempts_in_doubt ON payment_attempts (order_id) WHERE outcome = 'in_doubt';

-- Stripe's hosted Checkout (STRIPE_UI=checkout): the order's current Checkout Session. Its
-- PaymentIntent, once the shopper pays, becomes the order's payment_intent_id.
ALTER TABLE orders ADD COLUMN checkout_session_id TEXT;
CREATE UNIQUE INDEX orders_checkout_session ON orders (checkout_session_id) WHERE checkout_session_id IS NOT NULL;

-- PaymentIntents made at checkout start by earlier versions: their events still find their order.
INSERT INTO payment_attempts (order_id, attempt, revision, amount_minor, currency, idempotency_key, request, payment_intent_id, outcome)
SELECT id, 0, revision, total_minor, currency, 'legacy-' || id, '[]', payment_intent_id, 'legacy'
  FROM orders WHERE payment_intent_id IS NOT NULL;
