-- Foundation: the unit tree, halls, accounts, roles, refresh tokens and the
-- hash-chained audit log.

-- Levels of the unit tree are data, not code: the 2025 reform removed the
-- district level in most provinces, so a tree may go province → commune.
-- rank orders them from the top; a child's level must rank below its
-- parent's (checked in internal/org). Departments and districts share a rank.
CREATE TABLE unit_levels (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    rank     int  NOT NULL CHECK (rank >= 0),
    name_vi  text NOT NULL,
    name_en  text NOT NULL
);

INSERT INTO unit_levels (code, rank, name_vi, name_en) VALUES
    ('province',   0, 'Tỉnh',           'Province'),
    ('department', 1, 'Sở, ban, ngành', 'Department'),
    ('district',   1, 'Huyện',          'District'),
    ('commune',    2, 'Xã, phường',     'Commune');

CREATE TABLE units (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id  bigint REFERENCES units (id),
    level      text   NOT NULL REFERENCES unit_levels (code),
    code       text   NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name       text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX units_parent_idx ON units (parent_id);
-- Exactly one root (the province People's Committee).
CREATE UNIQUE INDEX units_one_root ON units ((parent_id IS NULL)) WHERE parent_id IS NULL;

-- A hall (điểm cầu) is a meeting room endpoint of a unit.
CREATE TABLE halls (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id),
    code       text   NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name       text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX halls_unit_idx ON halls (unit_id);

CREATE TABLE users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id             bigint NOT NULL REFERENCES units (id),
    username            text   NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    full_name           text   NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    email               text   NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    position            text   NOT NULL DEFAULT '' CHECK (length(position) <= 200),
    password_hash       text   NOT NULL,
    -- demo_password marks accounts whose password came from `cau seed --demo`;
    -- production refuses to start while any active one remains.
    demo_password       boolean NOT NULL DEFAULT false,
    active              boolean NOT NULL DEFAULT true,
    failed_logins       int    NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_idx ON users (username);
CREATE INDEX users_unit_idx ON users (unit_id);

-- A role held by a user, optionally scoped to a unit subtree (NULL = whole province).
CREATE TABLE user_roles (
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          text   NOT NULL CHECK (role IN ('admin', 'secretary', 'chair', 'delegate', 'hall_operator', 'observer')),
    scope_unit_id bigint REFERENCES units (id),
    -- hall_id ties a hall_operator to the hall it runs.
    hall_id       bigint REFERENCES halls (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_roles_unique ON user_roles (user_id, role, coalesce(scope_unit_id, 0), coalesce(hall_id, 0));

-- Refresh tokens rotate: each use marks the token used and issues a child in
-- the same family. Presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid   NOT NULL,
    token_hash  bytea  NOT NULL UNIQUE,  -- SHA-256 of the opaque token
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    user_agent  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- The audit log is append-only; each row's hash covers the previous row's
-- hash, so an edit or deletion anywhere breaks the chain from there on.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    bigint,
    actor_name  text  NOT NULL DEFAULT '',
    action      text  NOT NULL,
    object_type text  NOT NULL DEFAULT '',
    object_id   text  NOT NULL DEFAULT '',
    -- json, not jsonb: the exact bytes are kept, so the hash can be recomputed.
    detail      json  NOT NULL DEFAULT '{}',
    ip          text  NOT NULL DEFAULT '',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

-- One row holding the newest hash: appending locks it, which orders
-- concurrent appends without locking the whole table.
CREATE TABLE audit_head (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_id   bigint NOT NULL DEFAULT 0,
    last_hash bytea  NOT NULL
);
INSERT INTO audit_head (last_hash) VALUES ('\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
