-- Placeholder on the cross-returns branch for number 0005, reserved by another engineer: this
-- branch's 0006 must follow 1…5 with no gap. Delete this file when merging (the real 0005 replaces it).
SELECT 1;
