-- Schema of tests/codegen/nullability.sql (issue 17's tables, plus a table in its own schema).
CREATE TABLE a (id int PRIMARY KEY, b_id int, name text NOT NULL);
CREATE TABLE b (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE c (id int PRIMARY KEY, b_id int NOT NULL);

CREATE SCHEMA myschema;
CREATE TABLE myschema.foo (id serial PRIMARY KEY, x int, y text, note text NOT NULL DEFAULT 'n');
-- A decoy of the same name on the search path: a :copyfrom into myschema.foo must not land here.
CREATE TABLE public.foo (x int, y text);
