#pragma once
// Handlers: a registry keyed by (domain, command_type) of typed functions, and the context each
// call gets (the command's metadata, its attempt number, extend_visibility). A handler runs
// outside any transaction of the worker; what it writes it writes on its own connections.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/bus/model.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/queue/client.hpp>

#include <boost/json/parse.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgorm::bus {

/// What a handler knows about the command it runs.
class handler_context {
public:
    handler_context(connection_pool& pool, std::string domain) : pool_(&pool), domain_(std::move(domain)) {}

    const std::string& domain() const noexcept { return domain_; }
    boost::uuids::uuid command_id{};
    std::string command_type;
    std::int32_t attempt = 0;       // 1 for the first delivery; counts every claim, crashed ones included
    std::int32_t max_attempts = 0;
    std::int64_t msg_id = 0;
    std::optional<boost::uuids::uuid> correlation_id;
    std::optional<std::string> reply_to;
    std::optional<boost::uuids::uuid> batch_id;

    /// Keeps the command hidden from other workers for `seconds` from now (pgmq.set_vt), for a
    /// handler that needs longer than the worker's visibility timeout. Throws usage_error for a
    /// negative or too large value, what pool::acquire throws (pool_timeout, connection_error)
    /// and what queue::client::set_vt throws (sql_error from the server).
    void extend_visibility(std::chrono::seconds seconds);

private:
    connection_pool* pool_;
    std::string domain_;
};

namespace detail {

template <class T> inline constexpr bool is_json_value = std::is_same_v<T, boost::json::value>;

/// The command's data as T. A mismatch is permanent: the same bytes will never fit.
template <class T>
T decode_data(const jsonb_text& raw, const handler_context& ctx) {
    try {
        if constexpr (queue::detail::is_raw_json<T>) return raw;
        else if constexpr (is_json_value<T>) return boost::json::parse(raw.text);
        else return jsonb<T>::parse(raw.text).value();
    } catch (const std::exception& e) {
        throw permanent_command_error("INVALID_PAYLOAD", "pgorm: the data of command " + to_string(ctx.command_id) +
                                                             " (" + ctx.command_type + ") does not fit " +
                                                             std::string(cpp_type_name<T>()) + ": " + e.what());
    }
}

}  // namespace detail

/// The handlers a worker can run, by (domain, command_type).
class handler_registry {
public:
    /// What a registered handler becomes: data in, result JSON (or nothing) out.
    using erased_handler = std::function<std::optional<jsonb_text>(const jsonb_text& data, handler_context&)>;

    /// Registers `f(const T& data, handler_context&)` for one command type. T is a described
    /// struct, boost::json::value or jsonb_text; f returns void, a described struct,
    /// boost::json::value or jsonb_text (stored as the command's result and sent in the reply).
    /// Data that does not fit T sends the command to the troubleshooting queue (code
    /// INVALID_PAYLOAD). Throws usage_error when the pair already has a handler.
    template <class T, class F>
    handler_registry& on(std::string_view domain, std::string_view command_type, F f) {
        detail::check_domain(domain);
        detail::check_command_type(command_type);
        auto key = std::make_pair(std::string(domain), std::string(command_type));
        if (handlers_.count(key))
            throw usage_error("pgorm: a handler for command type '" + std::string(command_type) + "' in domain '" +
                              std::string(domain) + "' is already registered");
        handlers_.emplace(std::move(key), [f = std::move(f)](const jsonb_text& raw, handler_context& ctx) mutable {
            using R = std::invoke_result_t<F&, const T&, handler_context&>;
            T data = detail::decode_data<T>(raw, ctx);
            if constexpr (std::is_void_v<R>) {
                f(static_cast<const T&>(data), ctx);
                return std::optional<jsonb_text>();
            } else {
                return std::optional<jsonb_text>(queue::detail::encode_body(f(static_cast<const T&>(data), ctx)));
            }
        });
        return *this;
    }

    /// The handler for a command type, or nullptr.
    const erased_handler* find(std::string_view domain, std::string_view command_type) const;

private:
    std::map<std::pair<std::string, std::string>, erased_handler> handlers_;
};

}  // namespace pgorm::bus

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/bus/impl/handlers.ipp>
#endif
