-- expect: 4: parameter $99999999999 is out of range
-- name: Huge :one
SELECT 1
WHERE $99999999999 IS NULL;
