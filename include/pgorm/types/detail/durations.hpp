#pragma once
// std::chrono's durations, time points, clocks, sys_time / sys_days and the duration literals,
// without C++20's calendar, time zones and formatting.
//
// libstdc++ 12's <chrono> includes <sstream> (and so the iostream and locale machinery) for the
// formatting part in C++20 mode, about 0.2 s of compiler time in every translation unit that
// includes it (docs/performance.md, "Build time"). Its <bits/chrono.h> holds the part above, which
// is all that pgorm's core, pool and transaction headers name; <mutex>, <thread> and
// <condition_variable> include that one and not <chrono>. With another standard library, or a
// libstdc++ without that file, this is <chrono>. Code that uses year_month_day, local_time,
// time zones or chrono's operator<< includes <chrono> itself (include what you use).
#include <version>  // defines __GLIBCXX__ under libstdc++

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif
