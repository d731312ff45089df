-- Schema for test_types_regressions' generated header: arrays of user types (issue 11, items 2, 3).
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE fruit AS ENUM ('apple', 'pear', 'plum');
CREATE TABLE crates (
    id bigint PRIMARY KEY,
    counts posint[] NOT NULL,
    fruits fruit[] NOT NULL,
    size posint
);
