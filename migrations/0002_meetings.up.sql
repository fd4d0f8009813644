-- Meetings: invitations, agenda, the live session's state and event log,
-- votes, roll call, in-app notifications and the e-mail outbox.

CREATE TABLE meetings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text   NOT NULL CHECK (kind IN ('regular', 'briefing', 'province_online')),
    title         text   NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description   text   NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    place         text   NOT NULL DEFAULT '' CHECK (length(place) <= 300),
    status        text   NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'published', 'in_session', 'ended', 'cancelled')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    -- The unit that holds the meeting (its secretary's unit unless chosen).
    unit_id       bigint NOT NULL REFERENCES units (id),
    created_by    bigint NOT NULL REFERENCES users (id),
    -- schedule_version counts time changes, so each change notifies once.
    schedule_version int NOT NULL DEFAULT 1,
    published_at  timestamptz,
    opened_at     timestamptz,
    closed_at     timestamptz,
    cancelled_at  timestamptz,
    cancel_reason text NOT NULL DEFAULT '',
    -- The live session: the agenda item on screen and the last event's
    -- sequence number (events are numbered under this row's lock).
    current_item_id bigint,
    last_seq      bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_starts_idx ON meetings (starts_at);

-- Invited halls (điểm cầu).
CREATE TABLE meeting_halls (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    hall_id    bigint NOT NULL REFERENCES halls (id),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, hall_id)
);
CREATE INDEX meeting_halls_hall_idx ON meeting_halls (hall_id);

-- Invited people, one meeting role each; hall_id is where they sit, if known.
CREATE TABLE meeting_participants (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    role       text   NOT NULL CHECK (role IN ('chair', 'secretary', 'delegate', 'presenter', 'guest', 'observer')),
    hall_id    bigint REFERENCES halls (id),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_participants_user_idx ON meeting_participants (user_id);
-- One chair per meeting.
CREATE UNIQUE INDEX meeting_participants_one_chair ON meeting_participants (meeting_id) WHERE role = 'chair';

CREATE TABLE agenda_items (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id        bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- position is 1..n without gaps; reorders rewrite it in one transaction.
    position          int    NOT NULL CHECK (position >= 1),
    title             text   NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description       text   NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    presenter_user_id bigint REFERENCES users (id),
    presenter_unit_id bigint REFERENCES units (id),
    planned_minutes   int    NOT NULL DEFAULT 0 CHECK (planned_minutes BETWEEN 0 AND 1440),
    started_at        timestamptz,
    ended_at          timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (meeting_id, position) DEFERRABLE INITIALLY DEFERRED
);

ALTER TABLE meetings ADD CONSTRAINT meetings_current_item_fk
    FOREIGN KEY (current_item_id) REFERENCES agenda_items (id) ON DELETE SET NULL;

-- The session's event log: every change of the live session, numbered per
-- meeting. A late joiner loads the snapshot and the events after its seq;
-- the minutes read it back. Append-only.
CREATE TABLE session_events (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    at         timestamptz NOT NULL,
    type       text   NOT NULL,
    actor_id   bigint REFERENCES users (id),
    data       jsonb  NOT NULL DEFAULT '{}',
    PRIMARY KEY (meeting_id, seq)
);

-- Speaking requests (đăng ký phát biểu), by a person or by a whole hall.
CREATE TABLE speaking_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id   bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id      bigint REFERENCES users (id),
    hall_id      bigint REFERENCES halls (id),
    item_id      bigint REFERENCES agenda_items (id) ON DELETE SET NULL,
    status       text   NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'speaking', 'done', 'withdrawn')),
    requested_at timestamptz NOT NULL,
    granted_at   timestamptz,
    ended_at     timestamptz,
    CHECK (user_id IS NOT NULL OR hall_id IS NOT NULL)
);
-- One open request per person (or per hall for a hall's request), one speaker at a time.
CREATE UNIQUE INDEX speaking_requests_open ON speaking_requests (meeting_id, coalesce(user_id, 0), coalesce(hall_id, 0))
    WHERE status IN ('waiting', 'speaking');
CREATE UNIQUE INDEX speaking_requests_one_speaker ON speaking_requests (meeting_id) WHERE status = 'speaking';

-- Votes (biểu quyết).
CREATE TABLE votes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    item_id    bigint REFERENCES agenda_items (id) ON DELETE SET NULL,
    question   text   NOT NULL CHECK (length(question) BETWEEN 1 AND 1000),
    options    text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 20),
    secret     boolean NOT NULL,
    -- Meeting roles whose holders may vote.
    voter_roles text[] NOT NULL,
    status     text   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at  timestamptz NOT NULL,
    closed_at  timestamptz,
    opened_by  bigint NOT NULL REFERENCES users (id)
);
-- At most one open vote per meeting.
CREATE UNIQUE INDEX votes_one_open ON votes (meeting_id) WHERE status = 'open';

-- Who has voted, for open and secret votes alike: one ballot per voter.
-- Deliberately no time and no choice here.
CREATE TABLE vote_voters (
    vote_id  bigint NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    voter_id bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (vote_id, voter_id)
);

-- The choice of each voter, for OPEN votes only.
CREATE TABLE vote_ballots (
    vote_id  bigint NOT NULL,
    voter_id bigint NOT NULL,
    choice   text   NOT NULL,
    cast_at  timestamptz NOT NULL,
    PRIMARY KEY (vote_id, voter_id),
    FOREIGN KEY (vote_id, voter_id) REFERENCES vote_voters (vote_id, voter_id) ON DELETE CASCADE
);

-- Counts per option, for every vote. A secret ballot only increments a
-- count here: no row ties a choice to a voter.
CREATE TABLE vote_counts (
    vote_id bigint NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    choice  text   NOT NULL,
    n       int    NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (vote_id, choice)
);

-- Roll call per hall: is its browser connected, since when.
CREATE TABLE session_halls (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    hall_id    bigint NOT NULL REFERENCES halls (id),
    connected  boolean NOT NULL,
    since      timestamptz NOT NULL,
    muted      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (meeting_id, hall_id)
);

-- Roll call per person: present in a hall, online (own browser) or absent.
CREATE TABLE session_attendance (
    meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    status     text   NOT NULL CHECK (status IN ('in_hall', 'online', 'absent')),
    hall_id    bigint REFERENCES halls (id),
    since      timestamptz NOT NULL,
    marked_by  bigint REFERENCES users (id),
    PRIMARY KEY (meeting_id, user_id)
);

-- In-app notifications. dedup_key makes each notice once per person and event.
CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    meeting_id bigint REFERENCES meetings (id) ON DELETE CASCADE,
    kind       text   NOT NULL,
    title      text   NOT NULL,
    body       text   NOT NULL DEFAULT '',
    dedup_key  text   NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);

-- E-mail outbox: a row per message, written in the transaction that causes
-- it; an asynq job per row sends it and sets sent_at under the row's lock,
-- so a retried or duplicated job never sends twice.
CREATE TABLE email_outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key  text   NOT NULL UNIQUE,
    user_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    to_addr    text   NOT NULL,
    subject    text   NOT NULL,
    body       text   NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz,
    attempts   int    NOT NULL DEFAULT 0,
    last_error text   NOT NULL DEFAULT ''
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (id) WHERE sent_at IS NULL;

-- The session's event log is the record the minutes are drafted from:
-- append-only, like the audit log.
CREATE FUNCTION session_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'session_events is append-only';
END;
$$;
CREATE TRIGGER session_events_no_update BEFORE UPDATE OR DELETE ON session_events
    FOR EACH ROW EXECUTE FUNCTION session_events_append_only();
