-- Reserved for the outbox of events (issue 17 point 3), built on another branch: this empty
-- file only keeps the numbers without a gap here. The outbox's own 0002 replaces it on merge.
SELECT 1;
