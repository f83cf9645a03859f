-- A placeholder for another branch's 0015 (the update channel's branch holds 0016): the lead
-- renumbers at merge. Nothing is made here.
SELECT 1;
