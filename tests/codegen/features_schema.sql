-- Schema for the generator's feature tests (tests/codegen/features.sql).
CREATE TYPE mood AS ENUM ('happy', 'so-so', 'sad');

CREATE TABLE authors (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    mood mood NOT NULL DEFAULT 'happy',
    "class" TEXT
);

CREATE TABLE books (
    id BIGSERIAL PRIMARY KEY,
    author_id BIGINT REFERENCES authors(id),
    title TEXT NOT NULL,
    tags TEXT[] NOT NULL DEFAULT '{}',
    moods mood[]
);

-- A domain and the odd text types: the generated check must accept what the server reports.
CREATE DOMAIN handle AS text CHECK (VALUE <> '');
CREATE TABLE handles (
    h handle PRIMARY KEY,
    code "char" NOT NULL DEFAULT 'a',
    label name,
    padded char(4)
);

-- A type name that needs quoting and labels that are not C++-literal-safe.
CREATE TYPE "Shade" AS ENUM ('dark "deep"', 'back\slash', E'tab\there');
