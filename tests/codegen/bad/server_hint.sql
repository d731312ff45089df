-- expect: 4: (hint: Perhaps you meant to reference the column "books.title".)

-- name: ListTitles :many
SELECT titel FROM books;
