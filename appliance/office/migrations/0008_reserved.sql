-- Placeholder on the fleet-report branch for number 0008, reserved by another engineer: this
-- branch's 0011 must follow 1…10 with no gap. Delete this file when merging (the real 0008 replaces it).
SELECT 1;
