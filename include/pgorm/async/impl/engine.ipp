#pragma once
// Bodies of async/engine.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/async/engine.hpp>

namespace pgorm {
namespace detail {

PGORM_DECL std::exception_ptr connection_lost_error(const std::string& why) {
    return std::make_exception_ptr(connection_lost("pgorm: connection lost: " + why));
}

PGORM_DECL std::exception_ptr canceled_before_sent(std::string_view sql) {
    sql_error::details d;
    d.sqlstate = "57014";
    d.message = "canceling statement due to user request (pgorm: cancelled before it was sent)";
    d.statement = sql;
    return std::make_exception_ptr(query_canceled(std::move(d)));
}

PGORM_DECL void delivery_box::open() {
    std::vector<std::shared_ptr<async_request>> ready;
    {
        std::lock_guard<std::mutex> lock(mutex);
        opened = true;
        ready.swap(requests);
    }
    for (std::size_t i = 0; i < ready.size(); ++i) {
        async_request& q = *ready[i];
        try {
            if (q.slot.is_connected()) q.slot.clear();
            q.invoke(std::move(q.outcome_error), std::move(q.outcome));
        } catch (...) {
            if (i + 1 < ready.size()) {
                auto rest = std::make_shared<delivery_box>();
                rest->executor = executor;
                rest->requests.assign(ready.begin() + static_cast<std::ptrdiff_t>(i) + 1, ready.end());
                boost::asio::post(executor, [rest] { rest->open(); });
            }
            throw;
        }
    }
}

PGORM_DECL async_engine::async_engine(const boost::asio::any_io_executor& ex, config cfg, pipeline_sync sync,
                                      pipeline_limits limits)
    : strand_(boost::asio::make_strand(ex)), socket_(strand_), cfg_(std::move(cfg)),
      per_batch_(sync == pipeline_sync::per_batch), limits_(limits) {
    if (limits_.statements_per_sync == 0 || limits_.max_in_flight == 0 || limits_.max_in_flight_bytes == 0)
        throw config_error(
            "pgorm: async_options' statements_per_sync, max_in_flight and max_in_flight_bytes must be positive");
}

PGORM_DECL void async_engine::start_connect() {
    finish();
    broken_ = false;
    // pgorm's TCP defaults (core/config.hpp) come before "dbname", so the conninfo's own win.
    constexpr std::size_t n_tcp = std::size(default_tcp_settings);
    std::array<const char*, n_tcp + 4> keys{}, vals{};
    for (std::size_t i = 0; i < n_tcp; ++i) {
        keys[i] = default_tcp_settings[i].keyword;
        vals[i] = default_tcp_settings[i].value;
    }
    keys[n_tcp] = "dbname", vals[n_tcp] = cfg_.conninfo.c_str();
    keys[n_tcp + 1] = "client_encoding", vals[n_tcp + 1] = "UTF8";
    keys[n_tcp + 2] = "fallback_application_name", vals[n_tcp + 2] = "pgorm";
    conn_ = PQconnectStartParams(keys.data(), vals.data(), 1);
    if (!conn_) throw connection_error("pgorm: out of memory opening a connection");
    if (PQstatus(conn_) == CONNECTION_BAD) fail_connect("");
}

PGORM_DECL void async_engine::adopt_socket() {
    if (socket_.is_open()) socket_.release();  // libpq owns the descriptor: never close it here
    int fd = PQsocket(conn_);
    if (fd < 0) fail_connect("libpq has no socket");
    socket_.assign(fd);
}

[[noreturn]] PGORM_DECL void async_engine::fail_connect(const std::string& why) {
    std::string msg = why.empty() ? detail::trimmed(PQerrorMessage(conn_)) : why;
    finish();
    throw connection_error("pgorm: cannot connect to " + cfg_.redacted() + ": " + msg);
}

PGORM_DECL void async_engine::connected() {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // notices are not errors
    if (PQsetnonblocking(conn_, 1) != 0) fail_connect("cannot enter non-blocking mode");
    if (PQenterPipelineMode(conn_) != 1) fail_connect("cannot enter pipeline mode");
    adopt_socket();
}

PGORM_DECL void async_engine::enqueue(std::shared_ptr<async_request> q) {
    {
        std::lock_guard<std::mutex> lock(intake_mutex_);
        intake_.push_back(std::move(q));
        if (intake_posted_) return;
        intake_posted_ = true;
    }
    boost::asio::post(strand_, [self = shared_from_this()] { self->send_outbox(); });
}

PGORM_DECL void async_engine::submit(std::shared_ptr<async_request> q) {
    if (!is_open()) {
        std::string why = conn_ ? detail::trimmed(PQerrorMessage(conn_)) : "";
        complete(*q, connection_lost_error(why.empty() ? "the connection is closed" : why));
        return;
    }
    if (q->slot.is_connected()) {
        std::weak_ptr<async_engine> we = weak_from_this();
        std::weak_ptr<async_request> wq = q;
        q->slot.assign([we, wq](boost::asio::cancellation_type) {
            if (auto e = we.lock())
                boost::asio::post(e->strand_, [we, wq] {
                    auto e2 = we.lock();
                    auto q2 = wq.lock();
                    if (e2 && q2) e2->cancel(q2);
                });
        });
    }
    if (q->timeout.count() > 0) {
        q->timer = std::make_unique<boost::asio::steady_timer>(strand_, q->timeout);
        std::weak_ptr<async_engine> we = weak_from_this();
        std::weak_ptr<async_request> wq = q;
        q->timer->async_wait([we, wq](boost::system::error_code ec) {
            auto e = we.lock();
            auto q2 = wq.lock();
            if (!ec && e && q2) e->cancel(q2);
        });
    }
    outbox_.push_back(std::move(q));
}

PGORM_DECL void async_engine::cancel(const std::shared_ptr<async_request>& q) {
    if (q->finished) return;
    if (!q->sent) {
        for (auto it = outbox_.begin(); it != outbox_.end(); ++it)
            if (*it == q) {
                outbox_.erase(it);
                break;
            }
        complete(*q, canceled_before_sent(q->sql));
        return;
    }
    q->cancel_wanted = true;
    if (!inflight_.empty() && inflight_.front() == q) send_cancel();
}

PGORM_DECL void async_engine::wait_notification(notify_handler h, boost::asio::any_io_executor ex,
                                                boost::asio::cancellation_slot slot) {
    if (note_waiter_) {
        post_notification(std::move(h), ex,
                          std::make_exception_ptr(usage_error("pgorm: only one coroutine may wait for notifications "
                                                              "on a connection at a time")),
                          {});
        return;
    }
    // libpq may already hold a notification it read along with an earlier result (or that a
    // caller's PQconsumeInput on native() read): the socket will not signal it again.
    if (is_open()) take_libpq_notifications();
    if (!notes_.empty()) {
        notification n = std::move(notes_.front());
        notes_.pop_front();
        post_notification(std::move(h), ex, nullptr, std::move(n));
        return;
    }
    if (!is_open()) {
        post_notification(std::move(h), ex, connection_lost_error("the connection is closed"), {});
        return;
    }
    note_waiter_ = std::move(h);
    note_executor_ = ex;
    if (slot.is_connected()) {
        std::weak_ptr<async_engine> we = weak_from_this();
        slot.assign([we](boost::asio::cancellation_type) {
            if (auto e = we.lock())
                boost::asio::post(e->strand_, [we] {
                    auto e2 = we.lock();
                    if (!e2 || !e2->note_waiter_) return;
                    post_notification(std::move(e2->note_waiter_), e2->note_executor_,
                                      std::make_exception_ptr(boost::system::system_error(
                                          boost::asio::error::operation_aborted, "pgorm: wait for a notification")),
                                      {}, std::exchange(e2->note_slot_, {}));
                    e2->disarm_idle_read();
                });
        });
        note_slot_ = slot;
    }
    start_read();
}

PGORM_DECL void async_engine::send_outbox() {
    // Write coalescing: results already readable are read and completed first, and the write
    // waits one more turn of the executor, so that the coroutines they resume queue their next
    // statements into this write instead of costing one write each (with a Sync per
    // statement the server answers one statement per packet). Bounded, so that a steady
    // stream of results cannot hold the write back.
    if (deferred_writes_ < max_deferred_writes && is_open() && copy_phase_ == copy_phase::none &&
        (!inflight_.empty() || !held_.empty()) && !fills_a_sync()) {
        const std::uint64_t before = completed_;
        if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK)
            return lose(detail::trimmed(PQerrorMessage(conn_)));
        drain();
        if (!is_open()) return;
        // Everything came back: stop waiting for the socket, so that io_context::run() can
        // return if no coroutine sends more (start_read() arms it again when one does).
        if (inflight_.empty() && held_.empty()) disarm_idle_read();
        if (completed_ != before) {
            ++deferred_writes_;  // intake_posted_ stays set: statements queued meanwhile ride along
            boost::asio::post(strand_, [self = shared_from_this()] { self->send_outbox(); });
            return;
        }
    }
    deferred_writes_ = 0;
    {
        std::lock_guard<std::mutex> lock(intake_mutex_);
        taken_.swap(intake_);
        intake_posted_ = false;
    }
    for (auto& q : taken_) submit(std::move(q));
    taken_.clear();
    write_outbox();
}

PGORM_DECL bool async_engine::fills_a_sync() {
    if (!per_batch_) return false;
    std::lock_guard<std::mutex> lock(intake_mutex_);
    return intake_.size() + outbox_.size() >= limits_.statements_per_sync;
}

PGORM_DECL bool async_engine::in_flight_full() const noexcept {
    if (inflight_.empty() && held_.empty()) return false;
    return inflight_.size() + held_.size() >= limits_.max_in_flight || bytes_in_flight_ >= limits_.max_in_flight_bytes;
}

PGORM_DECL void async_engine::write_outbox() {
    if (outbox_.empty() || !is_open() || copy_phase_ != copy_phase::none) return;
    bool wrote = false, open_batch = false;  // open_batch: statements sent since the last Sync
    std::size_t in_group = 0;                // statements of the open batch
    while (!outbox_.empty()) {
        if (in_flight_full()) {
            ++stats_.capped_writes;  // the rest go out as answers come back (on_readable)
            break;
        }
        if (outbox_.front()->copy) {
            if (open_batch && !sync()) return lose(detail::trimmed(PQerrorMessage(conn_)));
            open_batch = false;
            if (inflight_.empty() && held_.empty()) start_copy();
            break;
        }
        std::shared_ptr<async_request> q = std::move(outbox_.front());
        outbox_.pop_front();
        // A cancellable statement (timeout or cancellation slot) gets a Sync of its own too:
        // the server holds the results of a batch until its Sync, so only after one can the
        // engine know that the statement it wants to cancel is the one the server runs.
        const bool alone = !per_batch_ || q->own_sync || q->sink || q->timeout.count() > 0 || q->slot.is_connected() ||
                           !shares_a_sync(q->sql);
        if ((alone || in_group == limits_.statements_per_sync) && open_batch && !sync())
            return lose(detail::trimmed(PQerrorMessage(conn_)));
        if (alone || !open_batch || in_group == limits_.statements_per_sync) in_group = 0;
        open_batch = !alone;
        if (open_batch) ++in_group;
        q->sync_group = syncs_sent_ + 1;
        if (!send(*q, alone) || (alone && !sync())) return lose(detail::trimmed(PQerrorMessage(conn_)));
        q->sent = wrote = true;
        ++stats_.requests;
        bytes_in_flight_ += q->wire_bytes;
        inflight_.push_back(std::move(q));
        if (inflight_.size() == 1) arm_single_row();  // first in line: libpq is on its statement now
    }
    if (open_batch && !sync()) return lose(detail::trimmed(PQerrorMessage(conn_)));
    if (!wrote) return;
    ++stats_.batches;
    if (syncs_sent_ - syncs_answered_ > stats_.most_syncs_in_flight)
        stats_.most_syncs_in_flight = syncs_sent_ - syncs_answered_;
    flush();
    start_read();
}

PGORM_DECL bool async_engine::sync() {
    ++syncs_sent_;
    ++stats_.syncs;
    return PQpipelineSync(conn_) == 1;
}

PGORM_DECL bool async_engine::shares_a_sync(std::string_view sql) noexcept {
    std::size_t i = 0;
    while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '('))
        ++i;
    std::size_t end = i;
    while (end < sql.size() && ((sql[end] | 0x20) >= 'a' && (sql[end] | 0x20) <= 'z')) ++end;
    const std::string_view word = sql.substr(i, end - i);
    auto is = [&](std::string_view w) {
        if (word.size() != w.size()) return false;
        for (std::size_t k = 0; k < w.size(); ++k)
            if ((word[k] | 0x20) != w[k]) return false;
        return true;
    };
    return is("select") || is("insert") || is("update") || is("delete") || is("with") || is("values") || is("table") ||
           is("merge");
}

PGORM_DECL bool async_engine::send(async_request& q, bool alone) {
    param_refs p = q.params.refs();
    q.wire_bytes = q.sql.size() + 64;  // the text and, roughly, the message framing
    for (int i = 0; i < p.count; ++i)
        if (p.lengths[i] > 0) q.wire_bytes += static_cast<std::size_t>(p.lengths[i]);
    if (!cfg_.prepared_statements)
        return PQsendQueryParams(conn_, q.sql.c_str(), p.count, p.types, p.values, p.lengths, p.formats, 1);
    std::string& key = key_scratch_;  // reused: no allocation when the statement is cached
    key.assign(q.sql);
    key.push_back('\0');
    key.append(reinterpret_cast<const char*>(p.types), sizeof(oid_t) * static_cast<std::size_t>(p.count));
    auto it = statements_.find(key);
    // A statement prepared inside a shared batch whose Sync has not come back yet is usable
    // only by the same batch: if an error skips its Parse, everything after it in the batch
    // is skipped too, but a later batch would name a statement the server does not have.
    if (it == statements_.end() || (it->second.pending_sync != 0 && it->second.pending_sync != q.sync_group)) {
        prepared& entry = statements_[key];
        entry.name = name_prefix_ + std::to_string(++next_statement_);
        // The Parse is the first command of a lone Sync: only its own failure skips it.
        entry.pending_sync = alone ? 0 : q.sync_group;
        // Prepared in the same Sync as its first use: if the prepare fails, so does this
        // request (the execute is skipped), and the entry is dropped when its error arrives.
        if (!PQsendPrepare(conn_, entry.name.c_str(), q.sql.c_str(), p.count, p.types)) return false;
        q.prepared_key = key;
        q.commands = 2;
        it = statements_.find(key);
    }
    return PQsendQueryPrepared(conn_, it->second.name.c_str(), p.count, p.values, p.lengths, p.formats, 1);
}

PGORM_DECL void async_engine::flush() {
    int r = PQflush(conn_);
    if (r < 0) return lose(detail::trimmed(PQerrorMessage(conn_)));
    if (r == 1 && !writing_) {  // the kernel's buffer is full: go on when the socket drains
        writing_ = true;
        socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                           boost::asio::bind_executor(
                               strand_, [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                                   if (gen != self->generation_) return;  // from a connection since closed
                                   self->writing_ = false;
                                   if (ec || !self->is_open()) return;
                                   self->flush();
                                   if (self->copy_phase_ == copy_phase::sending && self->is_open()) self->pump_copy();
                               }));
    }
}

PGORM_DECL void async_engine::start_copy() {
    std::shared_ptr<async_request> q = std::move(outbox_.front());
    outbox_.pop_front();
    if (PQexitPipelineMode(conn_) != 1) {
        complete(*q, std::make_exception_ptr(connection_lost("pgorm: cannot leave pipeline mode for COPY: " +
                                                             detail::trimmed(PQerrorMessage(conn_)))));
        return lose("cannot leave pipeline mode for COPY");
    }
    if (!PQsendQuery(conn_, q->sql.c_str())) return lose(detail::trimmed(PQerrorMessage(conn_)));
    q->sent = true;
    ++stats_.requests;
    ++stats_.copies;
    inflight_.push_back(std::move(q));
    copy_phase_ = copy_phase::starting;
    copy_piece_.clear();
    copy_at_ = 0;
    flush();
    start_read();
}

PGORM_DECL void async_engine::pump_copy() {
    async_request& q = *inflight_.front();
    while (copy_phase_ == copy_phase::sending && !writing_) {
        if (copy_at_ == copy_piece_.size()) {
            if (q.copy->done) {
                const int r = PQputCopyEnd(conn_, nullptr);
                if (r == 0) return flush();  // would block: the write wait pumps again
                if (r < 0 && PQstatus(conn_) != CONNECTION_OK) return lose(detail::trimmed(PQerrorMessage(conn_)));
                copy_phase_ = copy_phase::ending;
                break;
            }
            copy_piece_.clear();
            copy_at_ = 0;
            try {
                q.copy->fill(copy_piece_);
            } catch (...) {  // a value the codec refused: the server stores nothing
                q.sink_error = std::current_exception();
                if (PQputCopyEnd(conn_, "pgorm: a row could not be encoded") < 0 && PQstatus(conn_) != CONNECTION_OK)
                    return lose(detail::trimmed(PQerrorMessage(conn_)));
                copy_phase_ = copy_phase::ending;
                break;
            }
            continue;
        }
        const int r =
            PQputCopyData(conn_, copy_piece_.data() + copy_at_, static_cast<int>(copy_piece_.size() - copy_at_));
        if (r < 0) {
            if (PQstatus(conn_) != CONNECTION_OK) return lose(detail::trimmed(PQerrorMessage(conn_)));
            copy_phase_ = copy_phase::ending;  // libpq left COPY mode: its result tells why
            break;
        }
        if (r == 1) copy_at_ = copy_piece_.size();
        flush();  // r == 0 (would block) or data still queued: the write wait pumps again
        if (!is_open()) return;
        if (r == 1 && !writing_) {
            // A piece went out without blocking: give the executor's other work (timers,
            // other connections) a turn before the next one. A server that reads as fast as
            // the client encodes never fills the socket, and the whole COPY would otherwise
            // run in this one handler.
            boost::asio::post(strand_, [self = shared_from_this(), gen = generation_] {
                if (gen == self->generation_ && self->copy_phase_ == copy_phase::sending && !self->writing_)
                    self->pump_copy();
            });
            return;
        }
    }
    flush();
    if (!is_open()) return;
    // The end may already be in libpq's buffer (an error read while data was still going
    // out: the server then ignores the rest and answers nothing more), so look before waiting.
    if (copy_phase_ == copy_phase::ending) drain_copy();
    if (is_open()) start_read();
}

PGORM_DECL void async_engine::drain_copy() {
    async_request& q = *inflight_.front();
    while (copy_phase_ != copy_phase::sending && !PQisBusy(conn_)) {
        PGresult* r = PQgetResult(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) {
            if (r) PQclear(r);
            return lose(detail::trimmed(PQerrorMessage(conn_)));
        }
        if (!r) return end_copy();
        const ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN) {
            PQclear(r);
            copy_phase_ = copy_phase::sending;
            return pump_copy();
        }
        if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
            if (!q.error) q.error = result(r);
            else PQclear(r);
        } else {
            q.last = result(r);
        }
    }
}

PGORM_DECL void async_engine::end_copy() {
    copy_phase_ = copy_phase::none;
    copy_piece_.clear();
    copy_piece_.shrink_to_fit();
    std::shared_ptr<async_request> q = std::move(inflight_.front());
    inflight_.pop_front();
    bytes_in_flight_ -= q->wire_bytes;
    if (PQenterPipelineMode(conn_) != 1) {
        inflight_.push_front(std::move(q));
        return lose("cannot enter pipeline mode again after COPY");
    }
    finish_request(*q);
    write_outbox();
}

PGORM_DECL void async_engine::start_read() {
    if (reading_ || !is_open() || (inflight_.empty() && held_.empty() && !note_waiter_)) return;
    reading_ = true;
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       boost::asio::bind_executor(
                           strand_, [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                               if (gen != self->generation_) return;  // from a connection since closed
                               self->reading_ = false;
                               if (ec == boost::asio::error::operation_aborted) {
                                   // disarm_idle_read(): wait again only if work came in since
                                   self->start_read();
                                   return;
                               }
                               self->on_readable(ec);
                           }));
}

PGORM_DECL void async_engine::on_readable(boost::system::error_code ec) {
    if (!is_open()) return;
    if (ec) return lose(ec.message());
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) return lose(detail::trimmed(PQerrorMessage(conn_)));
    if (PQflush(conn_) < 0) return lose(detail::trimmed(PQerrorMessage(conn_)));  // the server read: push on
    if (copy_phase_ != copy_phase::none) drain_copy();
    else drain();
    if (!is_open()) return;
    // A COPY that waited for the pipeline to empty, or statements settle() queued to send again.
    if (copy_phase_ == copy_phase::none && !outbox_.empty()) write_outbox();
    if (!is_open()) return;
    collect_notifications();
    start_read();
}

PGORM_DECL void async_engine::drain() {
    while ((!inflight_.empty() || !held_.empty()) && !PQisBusy(conn_)) {
        PGresult* r = PQgetResult(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) {
            if (r) PQclear(r);
            return lose(detail::trimmed(PQerrorMessage(conn_)));
        }
        if (r && PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            ++syncs_answered_;
            settle();
            if (!is_open()) return;  // a stream callback closed the connection
            arm_single_row();        // libpq has moved on to the next request's first command
            continue;
        }
        if (inflight_.empty()) {  // a result for no request: the bookkeeping is lost
            if (r) PQclear(r);
            return lose("pgorm: a result arrived that no statement was waiting for");
        }
        async_request& q = *inflight_.front();
        if (!r) {
            if (++q.ended == q.commands) {
                held_.push_back(std::move(inflight_.front()));
                inflight_.pop_front();
                if (!inflight_.empty() && inflight_.front()->cancel_wanted) send_cancel();
            }
            arm_single_row();  // libpq has moved on to the next command
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED || st == PGRES_NONFATAL_ERROR ||
            st == PGRES_BAD_RESPONSE) {
            if (!q.error) q.error = result(r);  // the first error is the one to report
            else PQclear(r);
        } else if (q.sink && q.ended == q.commands - 1 && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
            // Keep the request alive and notice a close: the callback may do anything.
            std::shared_ptr<async_request> keep = inflight_.front();
            const std::uint64_t gen = generation_;
            if (st == PGRES_TUPLES_OK && PQntuples(r) == 0) q.last = result(r);  // the end: its command tag
            else feed_sink(q, result(r));
            if (gen != generation_) return;
        } else if (q.ended == q.commands - 1) {
            result own(r);  // the statement's own result (not its PREPARE's)
            if (!q.convert_now(own)) q.last = std::move(own);
        } else {
            q.prepare_ran = st == PGRES_COMMAND_OK;  // its PREPARE's result
            PQclear(r);
        }
    }
}

PGORM_DECL void async_engine::settle() {
    // Swapped with a member, not moved into a local: both keep their capacity, so settling
    // costs no allocation (settle() runs once per Sync: once per statement by default).
    std::vector<std::shared_ptr<async_request>>& batch = settling_;
    batch.swap(held_);
    struct cleared {
        std::vector<std::shared_ptr<async_request>>& v;
        ~cleared() { v.clear(); }
    } clear_after{batch};
    for (const auto& q : batch) bytes_in_flight_ -= q->wire_bytes;
    // Parses of this Sync's batch: one that ran left a statement on the server (prepared
    // statements are not transactional, so a rollback keeps it); one that was skipped did not.
    for (const auto& q : batch) {
        if (q->prepared_key.empty()) continue;
        auto it = statements_.find(q->prepared_key);
        if (it == statements_.end() || it->second.pending_sync != q->sync_group) continue;
        if (q->prepare_ran) it->second.pending_sync = 0;
        else statements_.erase(it);
    }
    std::size_t failed = batch.size();
    if (batch.size() > 1)
        for (std::size_t i = 0; i < batch.size(); ++i)
            if (batch[i]->error && PQresultStatus(batch[i]->error.native()) != PGRES_PIPELINE_ABORTED) {
                failed = i;
                break;
            }
    if (failed == batch.size()) {
        for (const auto& q : batch) finish_request(*q);
        return;
    }
    const bool before_kept = PQtransactionStatus(conn_) == PQTRANS_INERROR;
    std::deque<std::shared_ptr<async_request>> again;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        async_request& q = *batch[i];
        if (i == failed || (i < failed && before_kept)) {
            finish_request(q);
        } else if (q.cancel_wanted) {  // cancelled while it waited for the Sync
            complete(q, canceled_before_sent(q.sql));
        } else {
            q.sent = q.prepare_ran = q.single_row = false;
            q.own_sync = true;
            q.prepared_key.clear();
            q.commands = 1;
            q.ended = 0;
            q.error = result();
            q.last = result();
            ++stats_.resent;
            again.push_back(batch[i]);
        }
    }
    outbox_.insert(outbox_.begin(), again.begin(), again.end());  // the next write_outbox() sends them
}

PGORM_DECL void async_engine::arm_single_row() {
    if (inflight_.empty()) return;
    async_request& q = *inflight_.front();
    if (!q.sink || q.single_row || q.ended != q.commands - 1) return;
    // 0 only when the pipeline is aborted (an earlier command of this request failed):
    // then no rows come. Otherwise rows would still arrive, whole, and be handed over.
    q.single_row = PQsetSingleRowMode(conn_) == 1;
}

PGORM_DECL void async_engine::feed_sink(async_request& q, result rows) {
    const auto n = static_cast<std::uint64_t>(PQntuples(rows.native()));
    if (n > stats_.largest_stream_result) stats_.largest_stream_result = n;
    if (q.sink_stopped) return;  // stopped early: the rest is read and dropped
    const std::int64_t before = q.sink->rows;
    try {
        if (!q.sink->take(rows.native())) q.sink_stopped = true;
    } catch (...) {
        q.sink_error = std::current_exception();
        q.sink_stopped = true;
    }
    stats_.streamed_rows += static_cast<std::uint64_t>(q.sink->rows - before);
}

PGORM_DECL void async_engine::finish_request(async_request& q) {
    if (q.sink_error) {
        if (q.error && !q.prepared_key.empty() && PQresultStatus(q.error.native()) == PGRES_FATAL_ERROR)
            statements_.erase(q.prepared_key);
        return complete(q, q.sink_error);
    }
    if (!q.error) return complete(q, nullptr, std::move(q.last));
    PGresult* e = q.error.native();
    if (!q.prepared_key.empty() && q.commands == 2 && q.ended >= 1 && PQresultStatus(e) == PGRES_FATAL_ERROR) {
        // Whether the PREPARE or the execute failed, a fresh prepare next time is safe.
        statements_.erase(q.prepared_key);
    }
    std::exception_ptr ep;
    try {
        if (q.copy && PQstatus(conn_) == CONNECTION_OK && detail::result_field(e, PG_DIAG_SQLSTATE) == "08P01") {
            // Binary data the server cannot parse is reported as a protocol violation, which
            // would read as a lost connection; the connection is fine, the data is wrong.
            sql_error::details d;
            d.sqlstate = "08P01";
            d.message = "binary COPY data does not match the column types (" +
                        detail::result_field(e, PG_DIAG_MESSAGE_PRIMARY) +
                        "); each C++ type must be the column's exact type, e.g. std::int64_t for bigint";
            d.detail = detail::result_field(e, PG_DIAG_CONTEXT);
            d.statement = std::string(q.sql.view());
            throw data_exception(std::move(d));
        }
        if (detail::staleness why = detail::stale_statement_kind(e); why != detail::staleness::fresh) {
            if (why == detail::staleness::statement_missing) statements_.clear();
            else forget_text(q.sql);
            detail::throw_stale_statement(e, why, q.sql);
        }
        detail::throw_result_error(e, PQerrorMessage(conn_), PQstatus(conn_) != CONNECTION_OK, q.sql);
    } catch (...) {
        ep = std::current_exception();
    }
    complete(q, ep);
}

PGORM_DECL void async_engine::forget_text(std::string_view sql) {
    for (auto it = statements_.begin(); it != statements_.end();) {
        const std::string& k = it->first;
        if (k.size() > sql.size() && k[sql.size()] == '\0' && k.compare(0, sql.size(), sql) == 0)
            it = statements_.erase(it);
        else ++it;
    }
}

PGORM_DECL void async_engine::complete(async_request& q, std::exception_ptr ep, result r) {
    if (q.finished) return;
    q.finished = true;
    ++completed_;
    if (q.timer) q.timer->cancel();
    q.outcome_error = std::move(ep);
    q.outcome = std::move(r);
    if (box_ && box_->executor == q.done_executor) {
        std::lock_guard<std::mutex> lock(box_->mutex);
        if (!box_->opened) {
            box_->requests.push_back(q.shared_from_this());
            return;
        }
    }
    box_ = std::make_shared<delivery_box>();
    box_->requests.reserve(32);  // a Sync group's worth without regrowing
    box_->executor = q.done_executor;
    box_->requests.push_back(q.shared_from_this());
    boost::asio::post(box_->executor, [box = box_] { box->open(); });
}

PGORM_DECL void async_engine::send_cancel() {
    PGcancel* c = PQgetCancel(conn_);
    if (!c) return;
    // PQcancel opens a second short connection and waits for the server to take the request;
    // on a local server that is well under a millisecond, but it does block this thread.
    char err[256];
    PQcancel(c, err, sizeof err);
    PQfreeCancel(c);
    ++stats_.cancels;
    if (!inflight_.empty()) inflight_.front()->cancel_wanted = false;  // asked once
}

PGORM_DECL void async_engine::disarm_idle_read() {
    if (!reading_ || writing_ || !inflight_.empty() || !held_.empty() || note_waiter_ || !socket_.is_open()) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);  // the wait completes with operation_aborted; reading_ is cleared there
}

PGORM_DECL void async_engine::take_libpq_notifications() {
    while (PGnotify* n = PQnotifies(conn_)) {
        notes_.push_back({n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid});
        PQfreemem(n);
    }
}

PGORM_DECL void async_engine::collect_notifications() {
    take_libpq_notifications();
    if (note_waiter_ && !notes_.empty()) {
        notification n = std::move(notes_.front());
        notes_.pop_front();
        post_notification(std::move(note_waiter_), note_executor_, nullptr, std::move(n),
                          std::exchange(note_slot_, {}));
    }
}

PGORM_DECL void async_engine::post_notification(notify_handler h, const boost::asio::any_io_executor& ex,
                                                std::exception_ptr ep, notification n,
                                                boost::asio::cancellation_slot slot) {
    boost::asio::post(ex, [h = std::move(h), slot, ep, n = std::move(n)]() mutable {
        if (slot.is_connected()) slot.clear();
        std::move(h)(ep, std::move(n));
    });
}

PGORM_DECL void async_engine::lose(const std::string& why) {
    if (broken_ && !conn_) return;
    broken_ = true;
    std::exception_ptr ep = connection_lost_error(why.empty() ? "the server closed the connection" : why);
    auto held = std::move(held_);
    auto inflight = std::move(inflight_);
    auto outbox = std::move(outbox_);
    held_.clear();
    inflight_.clear();
    outbox_.clear();
    for (auto& q : held) complete(*q, ep);
    for (auto& q : inflight) complete(*q, ep);
    for (auto& q : outbox) complete(*q, ep);
    if (note_waiter_) {
        post_notification(std::move(note_waiter_), note_executor_, ep, {}, std::exchange(note_slot_, {}));
    }
    finish();
    broken_ = true;
}

PGORM_DECL void async_engine::finish() noexcept {
    ++generation_;  // waits still pending belong to this connection: they will be ignored
    syncs_answered_ = syncs_sent_;
    bytes_in_flight_ = 0;
    reading_ = writing_ = false;
    if (socket_.is_open()) {
        boost::system::error_code ignored;
        socket_.cancel(ignored);
        socket_.release();  // PQfinish closes the descriptor
    }
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    statements_.clear();
    copy_phase_ = copy_phase::none;
    copy_piece_.clear();
}

}  // namespace detail
}  // namespace pgorm
