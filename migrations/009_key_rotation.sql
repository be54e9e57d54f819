-- Key rotation (POST /v1/keys/{id}/rotate): a rotated key keeps working until expires_at (the
-- end of its overlap period), then it is refused like a revoked one. replaced_by names the key
-- that replaced it (a key is rotated once: its replacement is the one to rotate next).
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN replaced_by text REFERENCES api_keys (id);
