-- The conclusion notice's units and the approved minutes' stored PDFs.
--
-- minutes_notice_units is resolved in the approval's transaction: the units
-- the secretary named on each conclusion and the lead and coordinating
-- units of the tasks given by it. It is what the notice's "Nơi nhận" lists
-- and who receives it, fixed at approval like the minutes themselves.
CREATE TABLE minutes_notice_units (
    minutes_id  bigint    NOT NULL REFERENCES minutes (id),
    unit_id     bigint    NOT NULL REFERENCES units (id),
    conclusions integer[] NOT NULL CHECK (cardinality(conclusions) > 0),
    PRIMARY KEY (minutes_id, unit_id)
);

-- minutes_files: the approved minutes and notice as rendered and signed
-- once by the minutes:distribute job, kept encrypted in the blob store.
-- What is served later is these bytes (checked against sha256 on read).
CREATE TABLE minutes_files (
    minutes_id bigint      NOT NULL REFERENCES minutes (id),
    kind       text        NOT NULL CHECK (kind IN ('minutes', 'notice')),
    blob_id    text        NOT NULL UNIQUE,
    sha256     bytea       NOT NULL CHECK (length(sha256) = 32),
    size       bigint      NOT NULL CHECK (size > 0),
    signed     boolean     NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (minutes_id, kind)
);

-- minutes_distributions marks a distributed approval: the job writes it
-- with the notices and the audit row in one transaction, so the audit row
-- exists once however often the job runs.
CREATE TABLE minutes_distributions (
    minutes_id     bigint      PRIMARY KEY REFERENCES minutes (id),
    distributed_at timestamptz NOT NULL
);

-- What was approved and issued does not change.
CREATE FUNCTION minutes_issued_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are write-once', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER minutes_notice_units_frozen BEFORE UPDATE OR DELETE ON minutes_notice_units
    FOR EACH ROW EXECUTE FUNCTION minutes_issued_frozen();
CREATE TRIGGER minutes_files_frozen BEFORE UPDATE OR DELETE ON minutes_files
    FOR EACH ROW EXECUTE FUNCTION minutes_issued_frozen();
CREATE TRIGGER minutes_distributions_frozen BEFORE UPDATE OR DELETE ON minutes_distributions
    FOR EACH ROW EXECUTE FUNCTION minutes_issued_frozen();
