-- change: expand
-- A sale's revision: one more at every change to the rows its view is made of (the sale's
-- own row, its lines, payments, customer, card and terminal attempts), whoever writes them
-- (this server, another process, a trigger). A server keeps the open sale it last wrote in
-- memory and trusts that copy only while the store's revision is still the one it wrote
-- (services/open_sales.py): a scan then reads one row of the sale, not all of it.
ALTER TABLE sales ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER sales_revision AFTER UPDATE ON sales WHEN NEW.revision IS OLD.revision
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER sale_lines_revision_insert AFTER INSERT ON sale_lines
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.sale_id;
END;
CREATE TRIGGER sale_lines_revision_update AFTER UPDATE ON sale_lines
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id IN (OLD.sale_id, NEW.sale_id);
END;
CREATE TRIGGER sale_lines_revision_delete AFTER DELETE ON sale_lines
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = OLD.sale_id;
END;

CREATE TRIGGER payments_revision_insert AFTER INSERT ON payments
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.sale_id;
END;
CREATE TRIGGER payments_revision_update AFTER UPDATE ON payments
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id IN (OLD.sale_id, NEW.sale_id);
END;
CREATE TRIGGER payments_revision_delete AFTER DELETE ON payments
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = OLD.sale_id;
END;

CREATE TRIGGER sale_customers_revision_insert AFTER INSERT ON sale_customers
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.sale_id;
END;
CREATE TRIGGER sale_customers_revision_update AFTER UPDATE ON sale_customers
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id IN (OLD.sale_id, NEW.sale_id);
END;
CREATE TRIGGER sale_customers_revision_delete AFTER DELETE ON sale_customers
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = OLD.sale_id;
END;

CREATE TRIGGER payment_attempts_revision_insert AFTER INSERT ON payment_attempts
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.sale_id;
END;
CREATE TRIGGER payment_attempts_revision_update AFTER UPDATE ON payment_attempts
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id IN (OLD.sale_id, NEW.sale_id);
END;
CREATE TRIGGER payment_attempts_revision_delete AFTER DELETE ON payment_attempts
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = OLD.sale_id;
END;

CREATE TRIGGER terminal_transactions_revision_insert AFTER INSERT ON terminal_transactions
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = NEW.sale_id;
END;
CREATE TRIGGER terminal_transactions_revision_update AFTER UPDATE ON terminal_transactions
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id IN (OLD.sale_id, NEW.sale_id);
END;
CREATE TRIGGER terminal_transactions_revision_delete AFTER DELETE ON terminal_transactions
BEGIN
    UPDATE sales SET revision = revision + 1 WHERE id = OLD.sale_id;
END;
