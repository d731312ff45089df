-- expect: 5: query ListAuthorsEach would be the C++ function list_authors_each, which query ListAuthors
-- name: ListAuthors :many
SELECT * FROM authors;

-- name: ListAuthorsEach :many
SELECT * FROM authors;
