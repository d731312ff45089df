-- expect: 3: query GetAuthor: unknown command ":first"

-- name: GetAuthor :first
SELECT * FROM authors WHERE id = $1;
