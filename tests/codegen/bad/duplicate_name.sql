-- expect: 6: duplicate query name GetAuthor (first defined at

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

-- name: GetAuthor :many
SELECT * FROM authors;
