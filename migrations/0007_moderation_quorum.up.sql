-- Moderation of the call, votes with a quorum, and per-person roll call
-- times (issue 12).

-- A vote's base is who the rule counts against: the voters present when it
-- closes, or every voter the meeting invited; its rule is more than half or
-- at least two thirds of that base voting for the first option. Closing
-- fixes the base's size and the result, so the minutes never recompute them.
ALTER TABLE votes
    ADD COLUMN base       text    NOT NULL DEFAULT 'present' CHECK (base IN ('present', 'all')),
    ADD COLUMN rule       text    NOT NULL DEFAULT 'majority' CHECK (rule IN ('majority', 'two_thirds')),
    ADD COLUMN base_count integer CHECK (base_count >= 0),
    ADD COLUMN passed     boolean;

-- A hall removed from the call: its room tokens are refused and it gets no
-- new one until the chair readmits it.
ALTER TABLE session_halls
    ADD COLUMN removed_at timestamptz;

-- People under moderation (muted, removed), whether or not connected yet:
-- a mute applies to one who joins later, and survives their reconnects.
CREATE TABLE session_people (
    meeting_id bigint  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    bigint  NOT NULL REFERENCES users (id),
    muted      boolean NOT NULL DEFAULT false,
    removed_at timestamptz,
    PRIMARY KEY (meeting_id, user_id)
);

-- The call's state: open, locked (no new joins but invited halls and who
-- was in), ended (everyone out, no joins until the chair reopens it).
-- secretary_moderates: the chair lets the secretary moderate too.
ALTER TABLE meetings
    ADD COLUMN room_state text NOT NULL DEFAULT 'open' CHECK (room_state IN ('open', 'locked', 'ended')),
    ADD COLUMN secretary_moderates boolean NOT NULL DEFAULT false;

-- Join and leave times of a person: first arrival, and the last departure
-- while not present (NULL while present or never seen).
ALTER TABLE session_attendance
    ADD COLUMN joined_at timestamptz,
    ADD COLUMN left_at   timestamptz;
