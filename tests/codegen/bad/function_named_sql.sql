-- expect: 2: query Sql would be the C++ function sql, the name of the generated `sql` namespace
-- name: Sql :exec
DELETE FROM authors;
