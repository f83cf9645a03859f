-- change: expand
-- Age-restricted items: at a self-service till an attendant must approve them.
ALTER TABLE products ADD COLUMN age_restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN restricted_approved_by TEXT;
