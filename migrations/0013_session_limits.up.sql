-- A sign-in (a refresh token family) ends after CAU_IDLE_TIMEOUT without a
-- refresh and CAU_SESSION_MAX_AGE after its login. Each token's created_at
-- is already the family's last activity (the refresh that issued it); the
-- login's time is carried from token to token here.
ALTER TABLE refresh_tokens ADD COLUMN session_started_at timestamptz;
UPDATE refresh_tokens r SET session_started_at = f.started
FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) f
WHERE r.family_id = f.family_id;
ALTER TABLE refresh_tokens ALTER COLUMN session_started_at SET NOT NULL;
