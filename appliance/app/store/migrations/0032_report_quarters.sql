-- change: expand
-- What the reports need to answer a year of a busy store (1,000,000 sale lines) in under
-- half a second (bench/reports.py).

-- Completed sales by time with every column the sales reports sum: cash_rounding (0019)
-- and discount were missing, so the day/hour reports and the journal read the table itself.
DROP INDEX IF EXISTS sales_completed_cover;
CREATE INDEX sales_completed_cover ON sales(completed_at, cashier_id, subtotal, tax, total, cash_rounding, discount)
    WHERE status = 'completed';

-- Taxes and tenders of the completed sales per UTC quarter hour of completion (the key is
-- store/reports.py's QUARTER): the journal's tax and tender lines of a year are read from
-- some 35,000 quarters instead of joining 200,000 sales to their 600,000 tax and payment
-- rows. A quarter hour, not a day, so the sums stay exact whatever the store's time zone
-- (half-hour offsets, daylight saving, a zone changed later). Kept by the triggers below,
-- in the very statement that writes a sale's taxes or payments or completes it: whatever
-- code completes a sale, the sums move in its transaction. Rows that fall to zero stay.
CREATE TABLE sale_tax_quarters (
    quarter TEXT NOT NULL,
    name    TEXT NOT NULL,
    rate    TEXT NOT NULL,
    base    INTEGER NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (quarter, name, rate)
) WITHOUT ROWID;

CREATE TABLE payment_quarters (
    quarter TEXT NOT NULL,
    method  TEXT NOT NULL,
    count   INTEGER NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (quarter, method)
) WITHOUT ROWID;

INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15), t.name, t.rate,
       sum(t.base), sum(t.amount)
FROM sales s JOIN sale_taxes t ON t.sale_id = s.id
WHERE s.status = 'completed'
GROUP BY 1, 2, 3;

INSERT INTO payment_quarters(quarter, method, count, amount)
SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15), p.method,
       count(*), sum(p.amount)
FROM sales s JOIN payments p ON p.sale_id = s.id
WHERE s.status = 'completed'
GROUP BY 1, 2;

-- A tax row of a completed sale (a sale's taxes are written just after its completion).
CREATE TRIGGER sale_tax_quarters_insert AFTER INSERT ON sale_taxes
BEGIN
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           NEW.name, NEW.rate, NEW.base, NEW.amount
    FROM sales s WHERE s.id = NEW.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
END;

CREATE TRIGGER sale_tax_quarters_delete AFTER DELETE ON sale_taxes
BEGIN
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           OLD.name, OLD.rate, -OLD.base, -OLD.amount
    FROM sales s WHERE s.id = OLD.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
END;

CREATE TRIGGER sale_tax_quarters_update AFTER UPDATE OF sale_id, name, rate, base, amount ON sale_taxes
BEGIN
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           OLD.name, OLD.rate, -OLD.base, -OLD.amount
    FROM sales s WHERE s.id = OLD.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           NEW.name, NEW.rate, NEW.base, NEW.amount
    FROM sales s WHERE s.id = NEW.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
END;

-- A payment of a completed sale (payments are taken before completion; this keeps any
-- written later in the sums too).
CREATE TRIGGER payment_quarters_insert AFTER INSERT ON payments
BEGIN
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           NEW.method, 1, NEW.amount
    FROM sales s WHERE s.id = NEW.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
END;

CREATE TRIGGER payment_quarters_delete AFTER DELETE ON payments
BEGIN
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           OLD.method, -1, -OLD.amount
    FROM sales s WHERE s.id = OLD.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
END;

CREATE TRIGGER payment_quarters_update AFTER UPDATE OF sale_id, method, amount ON payments
BEGIN
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           OLD.method, -1, -OLD.amount
    FROM sales s WHERE s.id = OLD.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(s.completed_at, 1, 14) || (CAST(substr(s.completed_at, 15, 2) AS INTEGER) / 15),
           NEW.method, 1, NEW.amount
    FROM sales s WHERE s.id = NEW.sale_id AND s.status = 'completed'
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
END;

-- A sale completed (or, were it ever done, taken out of completed or moved in time): its
-- payments and taxes written so far leave the old quarter and join the new one.
CREATE TRIGGER sale_quarters_move AFTER UPDATE OF status, completed_at ON sales
WHEN OLD.status IS NOT NEW.status OR OLD.completed_at IS NOT NEW.completed_at
BEGIN
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(OLD.completed_at, 1, 14) || (CAST(substr(OLD.completed_at, 15, 2) AS INTEGER) / 15),
           p.method, -count(*), -sum(p.amount)
    FROM payments p WHERE p.sale_id = OLD.id AND OLD.status = 'completed' GROUP BY p.method
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
    INSERT INTO payment_quarters(quarter, method, count, amount)
    SELECT substr(NEW.completed_at, 1, 14) || (CAST(substr(NEW.completed_at, 15, 2) AS INTEGER) / 15),
           p.method, count(*), sum(p.amount)
    FROM payments p WHERE p.sale_id = NEW.id AND NEW.status = 'completed' GROUP BY p.method
    ON CONFLICT (quarter, method) DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount;
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(OLD.completed_at, 1, 14) || (CAST(substr(OLD.completed_at, 15, 2) AS INTEGER) / 15),
           t.name, t.rate, -sum(t.base), -sum(t.amount)
    FROM sale_taxes t WHERE t.sale_id = OLD.id AND OLD.status = 'completed' GROUP BY t.name, t.rate
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
    INSERT INTO sale_tax_quarters(quarter, name, rate, base, amount)
    SELECT substr(NEW.completed_at, 1, 14) || (CAST(substr(NEW.completed_at, 15, 2) AS INTEGER) / 15),
           t.name, t.rate, sum(t.base), sum(t.amount)
    FROM sale_taxes t WHERE t.sale_id = NEW.id AND NEW.status = 'completed' GROUP BY t.name, t.rate
    ON CONFLICT (quarter, name, rate) DO UPDATE SET base = base + excluded.base, amount = amount + excluded.amount;
END;
