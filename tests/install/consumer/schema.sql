CREATE TABLE items (
    id text PRIMARY KEY,
    qty bigint NOT NULL DEFAULT 0,
    note text
);
