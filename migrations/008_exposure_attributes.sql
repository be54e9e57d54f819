-- The attributes sent with a unit's first exposure (bounded: src/model/attributes.ts), so a
-- segment attribute added to a running experiment breaks down the units exposed before it
-- was added. NULL for exposures recorded before this migration: of those only the values of
-- the segment attributes declared then (exposures.segments) are known.
ALTER TABLE exposures ADD COLUMN attributes jsonb;
