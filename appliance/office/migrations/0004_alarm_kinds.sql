-- change: contract (lane_alarms_kind_check replaced by lane_alarms_kind_word)
-- The office's projections (services/projections.py) raise alarms of their own (a gift card
-- overspent offline, a day whose Z reports do not add up): a kind is a lower-case word, as
-- the services name it, rather than one of a list each new projection would have to widen.
ALTER TABLE lane_alarms DROP CONSTRAINT lane_alarms_kind_check;
ALTER TABLE lane_alarms ADD CONSTRAINT lane_alarms_kind_word CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$');
