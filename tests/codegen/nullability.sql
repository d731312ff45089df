-- One query per nullability rule of docs/codegen.md; tests/test_codegen_nullability.cpp runs
-- each against rows that make the optional columns NULL and checks the generated types.

-- name: CteLeftJoin :many
WITH bb AS (SELECT id, name FROM b)
SELECT a.id, bb.name FROM a LEFT JOIN bb ON bb.id = a.b_id ORDER BY a.id;

-- name: CteMaterializedAlias :many
WITH bb AS MATERIALIZED (SELECT id, name FROM b)
SELECT a.id, x.name FROM a LEFT JOIN bb AS x ON x.id = a.b_id ORDER BY a.id;

-- name: ParenthesisedJoin :many
SELECT a.id, b.name FROM a LEFT JOIN (b JOIN c ON c.b_id = b.id) ON b.id = a.b_id ORDER BY a.id;

-- name: SubqueryLeftJoin :many
SELECT a.id, s.name FROM a LEFT JOIN (SELECT id, name FROM b) s ON s.id = a.b_id ORDER BY a.id;

-- name: LateralLeftJoin :many
SELECT a.id, l.name FROM a LEFT JOIN LATERAL (SELECT b.name FROM b WHERE b.id = a.b_id) l ON true ORDER BY a.id;

-- name: RightJoin :many
SELECT a.name AS a_name, b.name AS b_name FROM a RIGHT JOIN b ON b.id = a.b_id ORDER BY b.id;

-- name: FullJoin :many
SELECT a.name AS a_name, b.name AS b_name FROM a FULL JOIN b ON b.id = a.b_id ORDER BY a.id, b.id;

-- name: InnerJoin :many
SELECT a.name, b.name AS b_name FROM a JOIN b ON b.id = a.b_id ORDER BY a.id;

-- name: LeftJoinUsing :many
SELECT id, b.name FROM a LEFT JOIN b USING (id) ORDER BY id;

-- name: StarLeftJoin :many
SELECT * FROM a LEFT JOIN b ON b.id = a.b_id ORDER BY a.id;

-- name: UnionWithNull :many
SELECT name FROM b UNION ALL SELECT NULL ORDER BY 1;

-- name: UnionNotNull :many
SELECT name FROM b UNION SELECT name FROM a ORDER BY 1;

-- name: Rollup :many
SELECT name, count(*) FROM a GROUP BY ROLLUP (name) ORDER BY name;

-- name: Cube :many
SELECT id, name, count(*) AS n FROM a GROUP BY CUBE (id, name) ORDER BY id, name;

-- name: GroupingSets :many
SELECT b_id, name, count(*) AS n FROM a GROUP BY GROUPING SETS ((b_id), (name)) ORDER BY b_id, name;

-- name: AggregatesOverNoRows :one
SELECT max(name) AS top, sum(id) AS total, count(b_id) AS counted FROM a WHERE id < 0;

-- name: FunctionOverNullable :many
SELECT upper(x.name) AS upper_b, upper(a.name) AS upper_a, length(a.name) + 1 AS len
FROM a LEFT JOIN b x ON x.id = a.b_id ORDER BY a.id;

-- name: Coalesce :many
SELECT coalesce(b.name, 'none') AS with_literal, coalesce(b.name, a.name) AS with_column,
       coalesce(b.name, NULL) AS with_null
FROM a LEFT JOIN b ON b.id = a.b_id ORDER BY a.id;

-- name: CaseExpressions :many
SELECT CASE WHEN a.id > 1 THEN 'big' END AS no_else, CASE WHEN a.id > 1 THEN 'big' ELSE 'small' END AS with_else
FROM a ORDER BY a.id;

-- name: ScalarSubquery :many
SELECT (SELECT b.name FROM b WHERE b.id = a.b_id) AS b_name,
       EXISTS (SELECT 1 FROM b WHERE b.id = a.b_id) AS has_b
FROM a ORDER BY a.id;

-- name: EmbedLeftJoin :many
SELECT a.id, sqlc.embed(b) FROM a LEFT JOIN b ON b.id = a.b_id ORDER BY a.id;

-- name: CopyIntoSchema :copyfrom
INSERT INTO myschema.foo (x, y) VALUES ($1, $2);

-- name: InsertIntoSchema :one
INSERT INTO myschema.foo (x, y) VALUES ($1, $2) RETURNING id, x, y, note;

-- name: UpdateInSchema :one
UPDATE myschema.foo SET x = $1 WHERE id = $2 RETURNING x;

-- name: DeleteFromSchema :one
DELETE FROM myschema.foo WHERE id = $1 RETURNING id, y, note;

-- name: InsertNamedRows :execrows
INSERT INTO myschema.foo (x, y) VALUES (@first_x, @first_y), (@second_x, @second_y);

-- name: InsertNumberedRows :execrows
INSERT INTO myschema.foo (x, y) VALUES ($1, $2), ($3, $4);

-- name: SetNamed :execrows
UPDATE myschema.foo SET x = @new_x WHERE id = @id;

-- name: InsertSelectCase :execrows
INSERT INTO myschema.foo (x, y) SELECT CASE WHEN sqlc.arg(flag)::bool THEN @v::int END, 'sel';

/* name: BlockCommentHeader :one */
SELECT count(*) AS n FROM a;

/* name: MixedParameters :many */
SELECT id FROM a WHERE id > $1 AND name <> sqlc.arg(skip_name) ORDER BY id;
