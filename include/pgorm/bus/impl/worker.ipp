#pragma once
// Bodies of bus/worker.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/bus/worker.hpp>

namespace pgorm::bus {

PGORM_DECL std::chrono::seconds retry_policy::delay_after(std::int32_t attempt) const {
    if (backoff_schedule.empty()) return std::chrono::seconds(0);
    const auto i = static_cast<std::size_t>(std::max(1, attempt) - 1);
    return backoff_schedule[std::min(i, backoff_schedule.size() - 1)];
}

PGORM_DECL worker::worker(connection_pool& pool, std::string domain, const handler_registry& registry, worker_options o)
    : pool_(&pool), domain_(std::move(domain)), registry_(&registry), o_(std::move(o)) {
    detail::check_domain(domain_);
    claim_sql_ =
        "SELECT msg_id, command_id, command_type, attempt, max_attempts, correlation_id, reply_to, "
        "batch_id, data FROM " +
        detail::domain_function(domain_, "claim") + "($1, $2)";
    settle_sql_ =
        "SELECT * FROM " + detail::domain_function(domain_, "settle") + "($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    queue::detail::positive_count(o_.concurrency, "concurrency");
    queue::detail::positive_count(o_.batch_size, "batch_size");
    vt_ = queue::detail::whole_seconds(o_.visibility_timeout, "visibility_timeout");
    if (o_.visibility_timeout.count() < 1) throw usage_error("pgorm: the visibility timeout must be at least 1 second");
    if (o_.statement_timeout.count() < 0) throw usage_error("pgorm: statement_timeout must not be negative");
    for (auto d : o_.retry.backoff_schedule) queue::detail::whole_seconds(d, "a backoff delay");
    if (o_.retry.max_attempts) queue::detail::positive_count(*o_.retry.max_attempts, "retry_policy.max_attempts");
}

PGORM_DECL void worker::start() {
    if (!threads_.empty()) throw usage_error("pgorm: this worker is already running");
    stop_ = std::stop_source();
    wake_.emplace(pool_->settings(), notify_channel(domain_), o_.listen, stop_.get_token());
    for (int i = 0; i < o_.concurrency; ++i) threads_.emplace_back([this] { run(); });
}

PGORM_DECL void worker::stop() {
    stop_.request_stop();
    threads_.clear();  // joins
    wake_.reset();
}

PGORM_DECL worker_stats worker::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

PGORM_DECL std::string worker::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

PGORM_DECL void worker::run() {
    const auto token = stop_.get_token();
    while (!token.stop_requested()) {
        try {
            auto batch = claim();
            if (batch.empty()) {
                wake_->wait(o_.poll_interval);
                continue;
            }
            outcome out;
            worker_stats mine;
            for (const auto& c : batch) handle(c, out, mine);
            settle(out);
            std::lock_guard lock(mutex_);
            stats_.completed += mine.completed;
            stats_.retried += mine.retried;
            stats_.troubleshooting += mine.troubleshooting;
        } catch (const std::exception& e) {
            {
                std::lock_guard lock(mutex_);
                last_error_ = e.what();
            }
            wake_->wait(o_.poll_interval);
        }
    }
}

PGORM_DECL std::vector<worker::claimed> worker::claim() {
    return detail::calling_bus(domain_, [&] {
        return on_connection(
            [&](connection& c) { return c.query<claimed>(claim_sql_, vt_, std::int32_t(o_.batch_size)); });
    });
}

PGORM_DECL void worker::handle(const claimed& c, outcome& out, worker_stats& mine) {
    if (!c.command_id) {  // a message no command stands behind: archived by settle
        out.orphans.push_back(c.msg_id);
        return;
    }
    const std::int32_t max = std::min(*c.max_attempts, o_.retry.max_attempts.value_or(*c.max_attempts));
    const auto* h = registry_->find(domain_, *c.command_type);
    if (!h) {
        out.fail(
            c, "UNKNOWN_COMMAND_TYPE",
            "pgorm: no handler is registered for command type '" + *c.command_type + "' in domain '" + domain_ + "'",
            std::nullopt);
        ++mine.troubleshooting;
        return;
    }
    handler_context ctx(*pool_, domain_);
    ctx.command_id = *c.command_id;
    ctx.command_type = *c.command_type;
    ctx.attempt = *c.attempt;
    ctx.max_attempts = max;
    ctx.msg_id = c.msg_id;
    ctx.correlation_id = c.correlation_id;
    ctx.reply_to = c.reply_to;
    ctx.batch_id = c.batch_id;
    auto retry_or_give_up = [&](std::string code, std::string msg) {
        if (*c.attempt < max) {
            out.fail(c, std::move(code), std::move(msg),
                     queue::detail::whole_seconds(o_.retry.delay_after(*c.attempt), "a backoff delay"));
            ++mine.retried;
        } else {
            out.fail(c, std::move(code), std::move(msg), std::nullopt);
            ++mine.troubleshooting;
        }
    };
    try {
        auto result = (*h)(c.data ? *c.data : jsonb_text("null"), ctx);
        out.done_ids.push_back(*c.command_id);
        out.done_attempts.push_back(*c.attempt);
        out.done_results.push_back(std::move(result));
        ++mine.completed;
    } catch (const permanent_command_error& e) {
        out.fail(c, e.code(), e.what(), std::nullopt);
        ++mine.troubleshooting;
    } catch (const transient_command_error& e) {
        retry_or_give_up(e.code(), e.what());
    } catch (const std::exception& e) {
        retry_or_give_up("UNHANDLED_EXCEPTION", e.what());
    } catch (...) {
        retry_or_give_up("UNHANDLED_EXCEPTION", "a handler threw something that is not a std::exception");
    }
}

PGORM_DECL void worker::settle(const outcome& out) {
    auto finished = detail::calling_bus(domain_, [&] {
        return on_connection([&](connection& c) {
            return c.query<boost::uuids::uuid>(settle_sql_, out.done_ids, out.done_attempts, out.done_results,
                                               out.fail_ids, out.fail_attempts, out.fail_codes, out.fail_msgs,
                                               out.fail_delays, out.orphans);
        });
    });
    if (!o_.on_batch_complete || finished.empty()) return;
    for (const auto& id : finished) {
        std::optional<batch_info> b;
        {
            auto h = pool_->acquire();
            b = get_batch(h, domain_, id);
        }
        if (b) o_.on_batch_complete(*b);
    }
}

}  // namespace pgorm::bus
