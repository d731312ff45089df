-- Schema for test_codegen_config (a sqlc.yaml with overrides and renames).
CREATE TABLE products (
    id bigint PRIMARY KEY,
    sku text NOT NULL,
    label text,
    price_cents bigint NOT NULL
);
