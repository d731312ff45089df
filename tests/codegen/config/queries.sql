-- name: AddProduct :exec
INSERT INTO products (id, sku, label, price_cents) VALUES ($1, $2, $3, $4);

-- name: GetProduct :one
SELECT * FROM products WHERE id = $1;

-- name: FindBySku :many
SELECT id, sku, label FROM products WHERE sku = $1 ORDER BY id;
