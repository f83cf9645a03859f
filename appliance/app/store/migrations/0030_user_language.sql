-- change: expand
-- The language a person chose for their own screens (en, fr, uk); NULL: the store's, from its locale.
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr', 'uk'));
