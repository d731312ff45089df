-- expect: 5: query GetAuthorStatement would be the C++ function get_author_statement, which query GetAuthor
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

-- name: GetAuthorStatement :exec
DELETE FROM authors WHERE id = $1;
