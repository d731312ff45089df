-- expect: 2: looks like a query header but is not one
-- Name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;
