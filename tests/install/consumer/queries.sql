-- name: AddItem :one
INSERT INTO items (id, qty, note) VALUES ($1, $2, $3) RETURNING *;

-- name: ItemsWithQtyAtLeast :many
SELECT id, qty, note FROM items WHERE qty >= $1 ORDER BY id;
