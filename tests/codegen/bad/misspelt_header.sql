-- expect: 6: looks like a query header but is not one

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

-- name ListAuthors :many
SELECT id, name FROM authors;
