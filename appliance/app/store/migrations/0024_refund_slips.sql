-- change: expand
-- A refund's own slip names who approved it and the taxes it gave back, as they were when
-- it was made (as a sale keeps its sale_taxes), so that reading it again later prints the
-- same paper. approved_by is the approving supervisor's user name (NULL: none was needed).
ALTER TABLE refunds ADD COLUMN approved_by TEXT;

CREATE TABLE refund_taxes (
    refund_id INTEGER NOT NULL REFERENCES refunds(id),
    name      TEXT NOT NULL,
    rate      TEXT NOT NULL,
    base      INTEGER NOT NULL,
    amount    INTEGER NOT NULL
);
CREATE INDEX refund_taxes_refund ON refund_taxes(refund_id);
