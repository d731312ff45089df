-- expect: 6: query get_author would be the C++ function get_author, which query GetAuthor
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = @id;

-- Different SQL names, one C++ name.
-- name: get_author :one
SELECT * FROM authors WHERE name = @name;
