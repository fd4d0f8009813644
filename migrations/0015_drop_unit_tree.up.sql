-- The unit tree's order is computed in Go (internal/org/tree.go folds
-- Vietnamese names and compares numbers by value there); nothing reads the
-- unit_tree view or unit_sort_key() that migration 0009 created for it.
DROP VIEW unit_tree;
DROP FUNCTION unit_sort_key(text);
