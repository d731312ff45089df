#pragma once
// pgorm async/: C++20 coroutines on Boost.Asio — async connection with automatic pipelining,
// async pool and transactions, LISTEN. Not included by <pgorm.hpp> (Asio is a heavy include);
// include this header where coroutines use the database.
#include <pgorm/async/connection.hpp>
#include <pgorm/async/listener.hpp>
#include <pgorm/async/pool.hpp>
