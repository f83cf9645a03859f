-- Indexes the reports need to answer over a year of a busy store (1,000,000 sale lines)
-- in under a second (bench/reports.py). Each one covers its report's query, so a report
-- reads the index alone and never the table rows.

-- Completed sales by time, with what the day/hour/employee reports sum.
CREATE INDEX sales_completed_cover ON sales(completed_at, cashier_id, subtotal, tax, total) WHERE status = 'completed';
-- Cancelled sales by when they were opened (voids report).
CREATE INDEX sales_cancelled ON sales(opened_at) WHERE status = 'cancelled';
-- Lines of a sale with what the product reports sum; voided lines apart (voids report).
CREATE INDEX sale_lines_sold ON sale_lines(sale_id, product_id, quantity, unit_price) WHERE voided = 0;
CREATE INDEX sale_lines_voided ON sale_lines(sale_id) WHERE voided = 1;
CREATE INDEX payments_sale_cover ON payments(sale_id, method, amount);
CREATE INDEX sale_taxes_cover ON sale_taxes(sale_id, name, rate, base, amount);
CREATE INDEX refunds_created ON refunds(created_at);
CREATE INDEX gift_card_entries_at ON gift_card_entries(at);
