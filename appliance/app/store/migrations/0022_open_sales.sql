-- change: expand
-- The open sales of a till: the one its screen shows after a reload or a new login, and
-- those holding money that a shift may not close over. A few rows among years of sales.
CREATE INDEX sales_open ON sales(terminal_id, opened_at) WHERE status = 'open';
