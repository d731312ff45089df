#pragma once
// The query builder (issue 22): typed SELECT statements over described structs, with joins,
// aggregates, GROUP BY / HAVING, subqueries (IN, EXISTS, scalar), ORDER BY, LIMIT / OFFSET,
// DISTINCT, row locks, keyset after(), UNION [ALL], WITH; INSERT ... SELECT, UPDATE ... FROM,
// DELETE ... USING with RETURNING (query/dml.hpp); prepare() with pgorm::arg() placeholders
// renders a repeated shape once (query/prepared.hpp).
// See docs/queries.md.

#include <pgorm/query/aggregate.hpp>
#include <pgorm/query/arg.hpp>
#include <pgorm/query/compound.hpp>
#include <pgorm/query/dml.hpp>
#include <pgorm/query/expr.hpp>
#include <pgorm/query/prepared.hpp>
#include <pgorm/query/select.hpp>
#include <pgorm/query/source.hpp>
#include <pgorm/query/subquery.hpp>
