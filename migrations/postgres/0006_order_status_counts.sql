-- PostgreSQL twin of migrations/sqlite/0006_order_status_counts.sql: INTEGER → BIGINT,
-- WITHOUT ROWID dropped, each SQLite trigger is a plpgsql function of the same name run by a
-- trigger of that name (same events, same WHEN). `count` in the upserts is qualified with the
-- table, which PostgreSQL requires.

-- Counts per status for the admin's order list without scanning the orders: one row per
-- status, kept up to date by triggers in the same transaction as the insert, the status change
-- or the delete, so no code path can forget it and a rolled-back change rolls its count back.
CREATE TABLE order_status_counts (
    status TEXT    PRIMARY KEY,
    count  BIGINT  NOT NULL CHECK (count >= 0)
);

INSERT INTO order_status_counts (status, count)
SELECT status, count(*) FROM orders GROUP BY status;

CREATE FUNCTION orders_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_status_counts (status, count) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET count = order_status_counts.count + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_count_insert AFTER INSERT ON orders
FOR EACH ROW EXECUTE FUNCTION orders_count_insert();

CREATE FUNCTION orders_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_status_counts SET count = count - 1 WHERE status = OLD.status;
    INSERT INTO order_status_counts (status, count) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET count = order_status_counts.count + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_count_update AFTER UPDATE OF status ON orders
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION orders_count_update();

CREATE FUNCTION orders_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_status_counts SET count = count - 1 WHERE status = OLD.status;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_count_delete AFTER DELETE ON orders
FOR EACH ROW EXECUTE FUNCTION orders_count_delete();

-- Counts under a date range read (created_at, status) from this index alone, never the rows.
CREATE INDEX orders_created_status ON orders (created_at, status);
