-- Queries for tests/test_codegen_names.cpp (schema: names_schema.sql). Every name below must come
-- out as a C++ name the compiler and the preprocessor accept, and the lexer cases must keep the
-- parameters they mean.

-- name: Errno :one
SELECT * FROM "errno" WHERE "assert" = @assert AND "EOF" = @EOF;

-- name: Delete :execrows
DELETE FROM "errno" WHERE "and" = @and AND "stdin" = @stdin;

-- name: Linux :many
SELECT "ü", "ö", "stdin" AS "stdout", 1 AS "1st", "Odd", "NULL", "_Cap" AS "__x" FROM "errno" ORDER BY id;

-- name: Unix :one
INSERT INTO "errno" ("assert", "EOF", "class", "_Cap", "a__b", "1st", "ü", "ö", "q", "Errno", "stdin", "and", "Odd", "NULL", "unix")
VALUES (@assert, @EOF, @class, @_Cap, @a__b, @n1st, @u, @o, @q, @Errno, @stdin, @and, @Odd, @NULL, @unix)
RETURNING id;

-- name: AllOdd :many
SELECT unnest(enum_range(NULL::odd)) AS v;

-- name: EchoOdd :one
SELECT @v::odd AS "Odd", @w::"NULL" AS "NULL", 'x'::"ü" AS a, 'x'::"1st" AS b, 'x'::"EOF" AS c;

-- name: BufsizRows :many
SELECT * FROM "BUFSIZ";

-- name: NestedComment :execrows
UPDATE "errno" SET "class" = 'touched' /* outer /* inner */ , "EOF" = @ghost */ WHERE id = @id;

-- name: LexerCorners :one
SELECT $tag$ @no $1 -- $tag$ AS dollar,
       $$ it's @not; $$ AS plain_dollar,
       E'back\'slash @nope \\' AS escaped,
       'a\' AS not_escaped,
       name'x\' AS typed_not_escaped,
       "ü" AS "col@$1--x",
       @a::bigint + (@b)::bigint AS sum,
       (SELECT count(*) FROM "errno" e$1 WHERE e$1.id = @a::bigint) AS n
FROM "errno" WHERE id = @a::bigint;
