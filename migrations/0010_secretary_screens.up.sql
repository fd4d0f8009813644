-- The secretary's screens: an agenda item's planned start time, a link on
-- each in-app notice (where the bell's list leads), and a NOTIFY on every
-- new or read notice so the bell updates live on every node.

ALTER TABLE agenda_items ADD COLUMN planned_at timestamptz;

-- link is a path of the web client ("/meetings/12", "/documents/40",
-- "/tasks/7"); '' for notices written before it existed (the client then
-- falls back to the meeting).
ALTER TABLE notifications ADD COLUMN link text NOT NULL DEFAULT '' CHECK (length(link) <= 300);

-- The payload is the recipient's id: listeners (internal/store
-- ListenNotifications) tell that user's open streams to re-read the count.
-- NOTIFY is delivered at commit, so a rolled-back notice rings no bell, and
-- identical payloads of one transaction are folded into one.
CREATE FUNCTION notifications_ring() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cau_notifications', NEW.user_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER notifications_ring AFTER INSERT OR UPDATE OF read_at ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_ring();
