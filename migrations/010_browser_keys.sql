-- Browser keys (POST /v1/keys with "browser": true): an assign key meant to sit in a web page.
-- It assigns and sends events like any assign key, but reads the configuration in its
-- browser-safe shape only (no QA overrides, no drafts). Only an assign key can be one: a page
-- must never hold a key that reads or changes experiments. A rotation keeps the mark.
ALTER TABLE api_keys ADD COLUMN browser boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_browser_assign CHECK (NOT browser OR scope = 'assign');
