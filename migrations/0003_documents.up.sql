-- Meeting documents: each document has numbered versions (old versions are
-- kept), an optional list of the people allowed to see it when it is
-- confidential, and read receipts. File bytes live encrypted in the blob
-- store (internal/blob); rows name them by blob ID.

CREATE TABLE documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id   bigint  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- NULL: attached to the meeting as a whole rather than one agenda item.
    item_id      bigint  REFERENCES agenda_items (id) ON DELETE SET NULL,
    title        text    NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    -- confidential (mật): only organizers and the users in document_access see it.
    confidential boolean NOT NULL DEFAULT false,
    created_by   bigint  NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_meeting_idx ON documents (meeting_id);
CREATE INDEX documents_item_idx ON documents (item_id) WHERE item_id IS NOT NULL;

CREATE TABLE document_versions (
    document_id      bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    version          int    NOT NULL CHECK (version >= 1),
    filename         text   NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    -- file_type is internal/filetype's short name, decided from the content.
    file_type        text   NOT NULL CHECK (file_type IN ('pdf', 'png', 'jpeg', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp')),
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    sha256           bytea  NOT NULL CHECK (length(sha256) = 32),
    blob_id          text   NOT NULL UNIQUE,
    -- The PDF made for viewing office files; NULL for PDFs and images
    -- (served as they are) and until the conversion job has run.
    pdf_blob_id      text   UNIQUE,
    -- not_needed (PDF, images), pending, done, failed, unavailable (no LibreOffice).
    conversion       text   NOT NULL CHECK (conversion IN ('not_needed', 'pending', 'done', 'failed', 'unavailable')),
    conversion_error text   NOT NULL DEFAULT '',
    converted_at     timestamptz,
    uploaded_by      bigint NOT NULL REFERENCES users (id),
    uploaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version),
    CHECK ((conversion = 'done') = (pdf_blob_id IS NOT NULL))
);

-- The people named on a confidential document.
CREATE TABLE document_access (
    document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (document_id, user_id)
);
CREATE INDEX document_access_user_idx ON document_access (user_id);

-- Read receipts: every open of the viewable PDF and every download of the
-- original, kept for the secretary ("who opened what and when"); each is
-- also in the audit log as document.read.
CREATE TABLE document_reads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    version     int    NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id),
    kind        text   NOT NULL CHECK (kind IN ('view', 'download')),
    at          timestamptz NOT NULL,
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);
CREATE INDEX document_reads_doc_idx ON document_reads (document_id, at);
