-- Step 10's queries (sqlc format): pgorm-gen turns each into one typed C++ function in
-- tutorial_queries.hpp, checked against a real server with schema.sql applied.

-- name: CreateOrganization :one
INSERT INTO organizations (name) VALUES (@name)
RETURNING id, name;

-- name: CountUsers :one
SELECT count(*) FROM users WHERE organization_id = @organization_id;

-- name: RenameOrganization :execrows
UPDATE organizations SET name = @name WHERE id = @id;
