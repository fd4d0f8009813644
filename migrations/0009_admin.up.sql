-- Administration: temporary passwords that must be changed, the signature
-- block of each issuing unit, and the order of units in the tree.

-- must_change_password: the account's password was chosen by an
-- administrator (new account without a password, reset, import) and is
-- known to someone else; the user changes it at first login. Changing the
-- password clears it. IF NOT EXISTS: the accounts work may add it too.
ALTER TABLE users ADD COLUMN IF NOT EXISTS must_change_password boolean NOT NULL DEFAULT false;

-- unit_signatures: how the conclusion notices a unit issues are signed.
-- A People's Committee's TB-UBND is usually signed on its behalf by the
-- office chief: authority "TL. CHỦ TỊCH", title "CHÁNH VĂN PHÒNG", and the
-- name. A unit without a row uses its nearest ancestor's (then the chair).
CREATE TABLE unit_signatures (
    unit_id     bigint      PRIMARY KEY REFERENCES units (id),
    authority   text        NOT NULL CHECK (length(authority) BETWEEN 1 AND 100),
    title       text        NOT NULL CHECK (length(title) <= 100),
    signer_name text        NOT NULL CHECK (length(signer_name) <= 200),
    updated_at  timestamptz NOT NULL,
    updated_by  bigint      REFERENCES users (id)
);

-- unit_sort_key orders names as people read them: numbers by value
-- ("Phường 2" before "Phường 10", where text order gives 1, 10, 11, 2) and
-- letters without diacritics first (vn_fold), but đ after d as in the
-- alphabet ("Di Linh" before "Đà Lạt"), the exact name breaking ties.
-- Siblings in the tree, and "Nơi nhận" of the notice, are listed by it.
CREATE FUNCTION unit_sort_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT array_to_string(ARRAY(
        SELECT CASE WHEN m[1] ~ '^[0-9]' THEN lpad(m[1], 12, '0') ELSE m[1] END
        FROM regexp_matches(vn_fold(replace(replace(t, 'đ', 'd~'), 'Đ', 'd~')), '([0-9]+|[^0-9]+)', 'g') WITH ORDINALITY AS x(m, n)
        ORDER BY n), '') || E'\x01' || t
$$;

-- unit_tree is the tree's order: depth first, siblings by level rank (a
-- province's departments before its districts) and then unit_sort_key.
-- Sorting by sort_path lists every parent before its children. The unit
-- screens and the notice's "Nơi nhận" use it.
CREATE VIEW unit_tree AS
    WITH RECURSIVE tree AS (
        SELECT u.id, 0 AS depth, ARRAY[lpad(l.rank::text, 3, '0') || unit_sort_key(u.name)] AS sort_path
        FROM units u JOIN unit_levels l ON l.code = u.level WHERE u.parent_id IS NULL
        UNION ALL
        SELECT u.id, t.depth + 1, t.sort_path || (lpad(l.rank::text, 3, '0') || unit_sort_key(u.name))
        FROM units u JOIN unit_levels l ON l.code = u.level JOIN tree t ON u.parent_id = t.id
    )
    SELECT id, depth, sort_path FROM tree;
