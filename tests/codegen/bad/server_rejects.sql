-- expect: 7: query ListAuthors: column "nickname" does not exist

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

-- name: ListAuthors :many
SELECT id, nickname
FROM authors;
