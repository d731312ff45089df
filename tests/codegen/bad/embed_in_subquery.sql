-- expect: 3: sqlc.embed(a) must be an item of the top-level select list
-- name: EmbedInside :many
SELECT x.id FROM (SELECT sqlc.embed(a) FROM authors a) x;
