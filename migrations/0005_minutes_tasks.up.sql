-- Minutes, document numbers, follow-up tasks, their notices and search.
-- Search folds Vietnamese with vn_fold (0004) and matches with trigram GIN
-- indexes on the folded titles, so "ke hoach" finds "Kế hoạch" without a scan.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- doc_counters holds the last number issued per unit, year and kind (BB, TB…).
-- The row is locked FOR UPDATE in the transaction that uses the number, so
-- numbers come without gaps (a rolled-back approval releases its number) and
-- without duplicates.
CREATE TABLE doc_counters (
    unit_id bigint   NOT NULL REFERENCES units (id),
    year    smallint NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    kind    text     NOT NULL CHECK (kind ~ '^[A-Z]{1,6}$'),
    last    integer  NOT NULL CHECK (last >= 0),
    PRIMARY KEY (unit_id, year, kind)
);

-- doc_numbers records every number issued, so a duplicate is impossible
-- even if the counter were tampered with.
CREATE TABLE doc_numbers (
    unit_id    bigint      NOT NULL REFERENCES units (id),
    year       smallint    NOT NULL,
    kind       text        NOT NULL,
    number     integer     NOT NULL CHECK (number > 0),
    symbol     text        NOT NULL,
    object     text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    PRIMARY KEY (unit_id, year, kind, number)
);

-- minutes: one record per meeting. body is the structured draft (JSON);
-- version increases by one on every save; a save names the version it was
-- based on and fails when another save came first.
CREATE TABLE minutes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id   bigint      NOT NULL UNIQUE REFERENCES meetings (id),
    unit_id      bigint      NOT NULL REFERENCES units (id),
    body         jsonb       NOT NULL,
    version      integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved')),
    approved_by  bigint      REFERENCES users (id),
    approved_at  timestamptz,
    content_hash bytea,
    doc_number   integer,
    doc_symbol   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    updated_by   bigint      REFERENCES users (id),
    CHECK ((status = 'approved') = (approved_at IS NOT NULL AND content_hash IS NOT NULL))
);

-- minutes_revisions keeps every saved version (who, when, what).
CREATE TABLE minutes_revisions (
    minutes_id bigint      NOT NULL REFERENCES minutes (id) ON DELETE CASCADE,
    version    integer     NOT NULL,
    body       jsonb       NOT NULL,
    saved_by   bigint      REFERENCES users (id),
    saved_at   timestamptz NOT NULL,
    PRIMARY KEY (minutes_id, version)
);

-- Approved minutes are locked in the database too, not only in Go.
CREATE FUNCTION minutes_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'approved' THEN
        RAISE EXCEPTION 'minutes % are approved and locked', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER minutes_locked BEFORE UPDATE OR DELETE ON minutes
    FOR EACH ROW EXECUTE FUNCTION minutes_locked();

-- tasks: deadline and completed_on are calendar days in Asia/Ho_Chi_Minh.
-- The status (within deadline, overdue, done on time, done late) is derived
-- from them and never stored.
CREATE TABLE tasks (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title              text        NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description        text        NOT NULL DEFAULT '',
    source_meeting_id  bigint      REFERENCES meetings (id),
    source_conclusion  integer     CHECK (source_conclusion > 0),
    source_document    text,
    lead_unit_id       bigint      NOT NULL REFERENCES units (id),
    assignee_id        bigint      REFERENCES users (id),
    assigner_id        bigint      NOT NULL REFERENCES users (id),
    deadline           date        NOT NULL,
    priority           smallint    NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
    percent            smallint    NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    completed_on       date,
    cancelled_at       timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- The folded title, stored: a search matching many rows rechecks this
    -- column instead of calling vn_fold per row (60 µs each).
    title_fold         text GENERATED ALWAYS AS (vn_fold(title)) STORED,
    CHECK (completed_on IS NULL OR cancelled_at IS NULL)
);
CREATE INDEX tasks_lead_unit_idx ON tasks (lead_unit_id, deadline);
CREATE INDEX tasks_assigner_idx ON tasks (assigner_id, deadline);
CREATE INDEX tasks_meeting_idx ON tasks (source_meeting_id) WHERE source_meeting_id IS NOT NULL;
CREATE INDEX tasks_open_deadline_idx ON tasks (deadline) WHERE completed_on IS NULL AND cancelled_at IS NULL;
CREATE INDEX tasks_title_fold_idx ON tasks USING gin (title_fold gin_trgm_ops);
CREATE INDEX meetings_title_fold_idx ON meetings USING gin (vn_fold(title) gin_trgm_ops);
CREATE INDEX documents_title_fold_idx ON documents USING gin (vn_fold(title) gin_trgm_ops);

-- task_units: coordinating units (the lead unit is on the task).
CREATE TABLE task_units (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    unit_id bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX task_units_unit_idx ON task_units (unit_id);

-- task_reports: progress reports by the units.
CREATE TABLE task_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint      NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id   bigint      NOT NULL REFERENCES users (id),
    body        text        NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    percent     smallint    NOT NULL CHECK (percent BETWEEN 0 AND 100),
    document_ids bigint[]   NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL
);
CREATE INDEX task_reports_task_idx ON task_reports (task_id, created_at);

-- task_extensions: deadline extension requests and their decisions (history).
CREATE TABLE task_extensions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id       bigint      NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    requested_by  bigint      NOT NULL REFERENCES users (id),
    old_deadline  date        NOT NULL,
    new_deadline  date        NOT NULL CHECK (new_deadline > old_deadline),
    reason        text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by    bigint      REFERENCES users (id),
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX task_extensions_one_pending ON task_extensions (task_id) WHERE status = 'pending';

-- task_notices is the dedup key of reminders, overdue notices, escalations
-- and digests: a notice is sent only after its row was inserted, so a retry
-- or a restart never sends it twice. task_id 0 is used for digests.
CREATE TABLE task_notices (
    kind       text        NOT NULL,
    task_id    bigint      NOT NULL,
    recipient  bigint      NOT NULL,
    on_day     date        NOT NULL,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (kind, task_id, recipient, on_day)
);
