-- expect: 4: query IsNull: could not determine data type of parameter $1

-- name: IsNull :one
SELECT $1 IS NULL AS answer;
