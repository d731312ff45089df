-- Queries that exercise every command and parameter form pgorm-gen supports.

-- name: CreateAuthor :one
-- Adds an author.
-- The mood defaults to happy when NULL is not what you want.
INSERT INTO authors (name, mood, "class") VALUES (@name, @mood, sqlc.narg(class))
RETURNING *;

-- name: CreateBook :one
INSERT INTO books (author_id, title, tags, moods) VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: BooksWithAuthor :many
SELECT sqlc.embed(b), sqlc.embed(a)
FROM books b
LEFT JOIN authors a ON a.id = b.author_id
ORDER BY b.id;

-- name: FindAuthors :many
SELECT * FROM authors
WHERE id IN (sqlc.slice(ids)) AND (sqlc.narg(mood)::mood IS NULL OR mood = sqlc.narg(mood))
ORDER BY id;

-- name: CountByMood :many
SELECT mood, count(*) AS n, max(id) AS max_id
FROM authors
GROUP BY mood
ORDER BY mood;

-- name: ImportAuthors :copyfrom
INSERT INTO authors (name, mood, "class") VALUES ($1, $2, $3);

-- name: TitlesOf :batchmany
SELECT title FROM books WHERE author_id = $1 ORDER BY id;

-- name: AuthorByName :batchone
SELECT * FROM authors WHERE name = $1;

-- name: DeleteBook :batchexec
DELETE FROM books WHERE id = $1;

-- name: RenameAuthor :execresult
UPDATE authors SET name = $2 WHERE id = $1 AND id = $1;

-- name: TouchAuthors :execrows
UPDATE authors SET "class" = "class";

-- name: CountAuthors :one
SELECT count(*) FROM authors;

-- name: AddHandle :one
INSERT INTO handles (h, label, padded) VALUES ($1, $2, $3)
RETURNING *;

-- name: OddText :one
-- SQL that cannot be a raw string literal, and an enum whose names need escaping.
SELECT ')sql"' AS marker,
       'back\slash'::"Shade" AS shade,
       $1::"Shade" AS echo;
