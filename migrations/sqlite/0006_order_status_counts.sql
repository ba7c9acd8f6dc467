-- Counts per status for the admin's order list without scanning the orders: one row per
-- status, kept up to date by triggers in the same transaction as the insert, the status change
-- or the delete, so no code path can forget it and a rolled-back change rolls its count back.
CREATE TABLE order_status_counts (
    status TEXT    PRIMARY KEY,
    count  INTEGER NOT NULL CHECK (count >= 0)
) WITHOUT ROWID;

INSERT INTO order_status_counts (status, count)
SELECT status, count(*) FROM orders GROUP BY status;

CREATE TRIGGER orders_count_insert AFTER INSERT ON orders
BEGIN
    INSERT INTO order_status_counts (status, count) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER orders_count_update AFTER UPDATE OF status ON orders
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE order_status_counts SET count = count - 1 WHERE status = OLD.status;
    INSERT INTO order_status_counts (status, count) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER orders_count_delete AFTER DELETE ON orders
BEGIN
    UPDATE order_status_counts SET count = count - 1 WHERE status = OLD.status;
END;

-- Counts under a date range read (created_at, status) from this index alone, never the rows.
CREATE INDEX orders_created_status ON orders (created_at, status);
