-- name: LoadCrates :copyfrom
INSERT INTO crates (id, counts, fruits, size) VALUES ($1, $2, $3, $4);

-- name: ListCrates :many
SELECT id, counts, fruits, size FROM crates ORDER BY id;

-- name: AddCrate :exec
INSERT INTO crates (id, counts, fruits) VALUES ($1, $2, $3);
