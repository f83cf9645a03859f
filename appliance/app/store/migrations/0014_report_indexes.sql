-- change: expand
-- Indexes the reports need to answer over a year of a busy store (1,000,000 sale lines)
-- in under a second (bench/reports.py). Each covers its query, so a report reads the index
-- alone, in order, and never the table rows.

-- Completed sales by time, with what the day/hour/employee reports sum.
CREATE INDEX sales_completed_cover ON sales(completed_at, cashier_id, subtotal, tax, total) WHERE status = 'completed';
-- Sales by id with their state: which sales in an id range do not belong to a period.
CREATE INDEX sales_state ON sales(id, status, completed_at);
-- Cancelled sales by when they were opened (voids report).
CREATE INDEX sales_cancelled ON sales(opened_at) WHERE status = 'cancelled';
-- Lines sold, grouped by product in index order (no sort of a million rows).
CREATE INDEX sale_lines_by_product ON sale_lines(product_id, sale_id, quantity, unit_price) WHERE voided = 0;
CREATE INDEX sale_lines_voided ON sale_lines(sale_id, voided_by, quantity, unit_price) WHERE voided = 1;
CREATE INDEX payments_sale_cover ON payments(sale_id, method, amount);
CREATE INDEX sale_taxes_cover ON sale_taxes(sale_id, name, rate, base, amount);
CREATE INDEX refunds_created ON refunds(created_at);
CREATE INDEX gift_card_entries_at ON gift_card_entries(at);
