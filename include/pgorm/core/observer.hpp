#pragma once
// statement_observer: an optional callback a connection calls after every statement it runs,
// for logging and tracing. Unset (the default), it costs one test of a null pointer per
// statement and no clock reads.
//
//   conn.set_observer([](const pgorm::statement_event& e) {
//       log("{} us, {} rows: {}", e.duration.count(), e.rows, e.sql);
//   });

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/detail/durations.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgorm {

/// Which execution path ran the statement.
enum class statement_path {
    simple,     // connection::execute_script: simple protocol, no parameters
    extended,   // execute / query* / run: bound parameters (prepared when cached)
    pipeline,   // one statement of a pipeline batch, reported at sync()
    copy,       // a binary COPY FROM STDIN, reported at finish()
    stream,     // single-row streaming (stream_results, stream_rows, repository::for_each)
};

/// What the observer is told about one statement.
struct statement_event {
    statement_path path = statement_path::extended;
    std::string_view sql;       // the statement text; valid only during the call
    int parameters = 0;         // bound parameters sent (0 for simple and COPY)
    /// Wall time on the client from sending to the last result, in microseconds. For a pipeline
    /// every statement reports the whole batch's time (the server answers them together).
    std::chrono::microseconds duration{0};
    /// Rows returned (or streamed); for INSERT / UPDATE / DELETE / COPY the rows affected.
    std::int64_t rows = 0;
    /// The exception the statement ends with (it propagates after the observer returns), or null.
    std::exception_ptr error;
};

/// Called after each statement on the connection's thread. It must not throw: an exception
/// from it is swallowed so that it cannot change what the statement did.
///
/// Holds a copy of any callable taking `const statement_event&` (a lambda, a function pointer,
/// a std::function), as std::function<void(const statement_event&)> did before: copies of the
/// observer (a pool gives one to each connection it opens) hold copies of the callable. Empty
/// when default-constructed, made from nullptr, or from an empty callable (a null function
/// pointer, an empty std::function); calling an empty one does nothing. It is pgorm's own type,
/// not std::function, so that <pgorm/core.hpp> need not include <functional> (which brings
/// <unordered_map> with it: docs/performance.md, "Build time").
class statement_observer {
public:
    statement_observer() noexcept = default;
    statement_observer(std::nullptr_t) noexcept {}
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, statement_observer> &&
                 std::is_invocable_v<std::decay_t<F>&, const statement_event&>)
    statement_observer(F&& f) {  // NOLINT: implicit, as std::function's is
        using target = std::decay_t<F>;
        if constexpr (std::is_constructible_v<bool, const target&>) {
            if (!static_cast<bool>(f)) return;  // a null function pointer, an empty std::function
        }
        target_ = new target(std::forward<F>(f));
        ops_ = &ops_for<target>;
    }
    /// Copies the callable (may throw what its copy throws, or std::bad_alloc).
    statement_observer(const statement_observer& o) : target_(o.target_ ? o.ops_->clone(o.target_) : nullptr), ops_(o.ops_) {}
    statement_observer(statement_observer&& o) noexcept
        : target_(std::exchange(o.target_, nullptr)), ops_(std::exchange(o.ops_, nullptr)) {}
    statement_observer& operator=(statement_observer o) noexcept {
        std::swap(target_, o.target_);
        std::swap(ops_, o.ops_);
        return *this;
    }
    ~statement_observer() {
        if (target_) ops_->destroy(target_);
    }

    explicit operator bool() const noexcept { return target_ != nullptr; }
    /// Calls the callable with `e`; does nothing when empty. Throws what the callable throws.
    void operator()(const statement_event& e) const {
        if (target_) ops_->call(target_, e);
    }

private:
    struct operations {
        void (*call)(void*, const statement_event&);
        void* (*clone)(const void*);
        void (*destroy)(void*) noexcept;
    };
    template <class T>
    static constexpr operations ops_for{
        [](void* t, const statement_event& e) { (*static_cast<T*>(t))(e); },
        [](const void* t) -> void* { return new T(*static_cast<const T*>(t)); },
        [](void* t) noexcept { delete static_cast<T*>(t); },
    };

    void* target_ = nullptr;  // a T allocated by the constructor, owned
    const operations* ops_ = nullptr;
};

namespace detail {
inline std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point start) noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}
/// Calls the observer, if any, with `e`; anything it throws is swallowed.
PGORM_DECL void notify(const statement_observer& o, const statement_event& e) noexcept;
}  // namespace detail

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/observer.ipp>
#endif
