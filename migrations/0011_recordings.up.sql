-- Recordings of a meeting's session (internal/recording). The recorder in
-- the SFU writes a part's files under $CAU_DATA_DIR/recordings while it
-- runs; after it stops, a job remuxes the main file so browsers can seek,
-- stores every file encrypted in the blob store and fills in its length,
-- hash and chapters. A restart mid-recording ends the part (interrupted)
-- and a new part starts when the session's room is back.

CREATE TABLE recordings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    part        int    NOT NULL CHECK (part >= 1),
    -- recording (the recorder runs), processing (stopped, the job has not
    -- archived it yet), ready (in the blob store), failed (see error).
    status      text   NOT NULL CHECK (status IN ('recording', 'processing', 'ready', 'failed')),
    -- The node whose SFU records (the room's home); '' outside a cluster.
    node_id     text   NOT NULL DEFAULT '',
    -- Where the recorder writes until the job archives the files.
    dir         text   NOT NULL,
    -- started_at is the wall time of the file's time zero: a chapter's
    -- offset is its event's time minus this.
    started_at  timestamptz NOT NULL,
    stopped_at  timestamptz,
    started_by  bigint REFERENCES users (id),
    stopped_by  bigint REFERENCES users (id),
    -- stopped (by a person), session_closed, room_ended, shutdown,
    -- interrupted (found running after a restart).
    stop_reason text   NOT NULL DEFAULT '' CHECK (stop_reason IN ('', 'stopped', 'session_closed', 'room_ended', 'shutdown', 'interrupted')),
    -- The recorder's main file until archived (a path under dir).
    main_path   text   NOT NULL DEFAULT '',
    codec       text   NOT NULL DEFAULT '',
    -- webm (VP8 + Opus) or mkv (H.264 + Opus).
    container   text   NOT NULL DEFAULT '' CHECK (container IN ('', 'webm', 'mkv')),
    blob_id     text   UNIQUE,
    size_bytes  bigint CHECK (size_bytes >= 0),
    sha256      bytea  CHECK (length(sha256) = 32),
    duration_ms bigint CHECK (duration_ms >= 0),
    -- [{"at_ms", "kind", "title", "event_seq"}] in order (internal/recording.Chapter).
    chapters    jsonb  NOT NULL DEFAULT '[]',
    -- The same chapters as WebVTT (kind="chapters"), as served.
    chapters_vtt text  NOT NULL DEFAULT '',
    error       text   NOT NULL DEFAULT '',
    archived_at timestamptz,
    UNIQUE (meeting_id, part),
    CHECK ((status = 'ready') = (blob_id IS NOT NULL)),
    CHECK ((status = 'recording') = (stopped_at IS NULL))
);
-- At most one recording runs per meeting: a second start fails here even
-- when two nodes race.
CREATE UNIQUE INDEX recordings_running_idx ON recordings (meeting_id) WHERE status = 'recording';
CREATE INDEX recordings_expiry_idx ON recordings (stopped_at) WHERE status IN ('ready', 'failed');

-- The separate audio of every hall or person that spoke, for the office to
-- check a speech (Ogg Opus, in the blob store once archived).
CREATE TABLE recording_tracks (
    recording_id bigint NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    identity     text   NOT NULL,
    name         text   NOT NULL DEFAULT '',
    path         text   NOT NULL DEFAULT '',
    blob_id      text   UNIQUE,
    size_bytes   bigint CHECK (size_bytes >= 0),
    sha256       bytea  CHECK (length(sha256) = 32),
    first_at     timestamptz,
    last_at      timestamptz,
    PRIMARY KEY (recording_id, identity)
);

-- Read receipts: every play (a signed media link minted) and every
-- download, as for documents; each is also in the audit log as recording.read.
CREATE TABLE recording_reads (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recording_id bigint NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id),
    kind         text   NOT NULL CHECK (kind IN ('play', 'download')),
    at           timestamptz NOT NULL
);
CREATE INDEX recording_reads_rec_idx ON recording_reads (recording_id, at);

-- A legal hold keeps a meeting's recordings past the retention period
-- (CAU_RECORDING_RETENTION_DAYS) until it is cleared.
CREATE TABLE legal_holds (
    meeting_id bigint PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    reason     text   NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    set_by     bigint NOT NULL REFERENCES users (id),
    set_at     timestamptz NOT NULL
);
