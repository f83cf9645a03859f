-- Placeholder on the office-web branch for number 0008, reserved by another engineer (chain-books):
-- this branch's 0009 must follow 1…8 with no gap. Delete this file when that branch's 0008 is merged.
SELECT 1;
