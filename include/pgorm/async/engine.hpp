#pragma once
// The engine under async_connection: one PGconn in libpq pipeline mode, driven by Boost.Asio.
//
// Every statement is one request: it is queued, and the queue is written in one go the next time
// the connection's strand runs (so the requests of many coroutines that start statements in the
// same turn of the event loop share one write and one wait for the server: auto-pipelining).
// Requests enter through a small locked intake (enqueue(), any thread); only the first request
// of a batch posts to the strand, so a batch of N costs one executor hop, not N.
// By default each request ends with its own Sync, so an error fails that request alone
// (PostgreSQL docs 34.5, "Pipeline Mode": after an error the server skips to the next Sync).
// With pipeline_sync::per_batch the statements of one write share one Sync (one implicit
// transaction); their completions are held until the Sync, and when one fails the others are
// sent again, each with its own Sync (settle()). Results come back in the order the requests
// were sent and are matched to them by a FIFO.
//
// Batches in flight: a write never waits for earlier Syncs to come back. per_batch cuts a write
// into Syncs of at most pipeline_limits::statements_per_sync statements, so the server answers
// one group while the client completes the one before; max_in_flight and max_in_flight_bytes
// bound what is on the wire (the rest stays in the outbox until answers come back).
//
// libpq's non-blocking contract (PostgreSQL docs 34.4) as followed here: PQflush until it
// returns 0, waiting for the socket while it returns 1 (a read wait is always armed while work is
// in flight, so the server never blocks on a full send buffer of ours); PQgetResult only when
// PQisBusy is 0, after PQconsumeInput.
//
// Threads: all state is touched on the engine's own strand only. Completions are posted to the
// caller's executor (never run inline), so a caller may destroy things in its continuation.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/config.hpp>
#include <pgorm/core/detail/error_mapping.hpp>
#include <pgorm/core/listener.hpp>  // pgorm::notification
#include <pgorm/core/params.hpp>
#include <pgorm/core/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pgorm {

/// Where an async connection puts the pipeline's Syncs (async_options::sync; docs/async.md,
/// "Automatic pipelining"). A Sync ends the server's implicit transaction and makes it answer.
enum class pipeline_sync {
    /// A Sync after every statement: each runs in its own implicit transaction, an error fails
    /// that statement alone. The default.
    per_statement,
    /// One Sync after all the statements of one write (SELECT, INSERT, UPDATE, DELETE, MERGE,
    /// WITH, VALUES, TABLE; anything else, streams and COPY keep a Sync of their own). They share
    /// one implicit transaction: when one fails, the others are rolled back (or skipped) by the
    /// server and pgorm sends them again, each with its own Sync; inside an open transaction the
    /// ones before the error keep their results.
    per_batch,
};

/// Counters of one async connection, for tests and tuning.
struct async_stats {
    std::uint64_t requests = 0;  // statements sent (a statement sent again counts again)
    std::uint64_t batches = 0;   // writes of queued statements: round trips the connection started
    std::uint64_t syncs = 0;     // Sync messages sent: the server ends a transaction and answers for each
    std::uint64_t resent = 0;    // statements sent again after another statement of their batch failed
    std::uint64_t cancels = 0;   // cancel requests sent to the server (PQcancel)
    std::uint64_t streamed_rows = 0;          // rows handed to stream() callbacks
    std::uint64_t largest_stream_result = 0;  // most rows one PGresult of a stream held (1: single-row mode)
    std::uint64_t copies = 0;                 // COPY FROM STDIN runs (each outside pipeline mode)
    std::uint64_t most_syncs_in_flight = 0;   // the most Syncs sent and not yet answered, after any write
                                              // (per_batch: batches the server had queued at once)
    std::uint64_t capped_writes = 0;          // writes stopped by max_in_flight / max_in_flight_bytes
};


namespace detail {

/// How much an async connection keeps on the wire (async_options' fields of the same names;
/// docs/async.md, "Batches in flight").
struct pipeline_limits {
    /// per_batch: the most statements that share one Sync. A longer write is cut into several
    /// Syncs sent together; the server answers each as it reaches it, so the client completes
    /// one group while the server runs the next.
    std::size_t statements_per_sync = 32;
    /// Statements sent and not yet answered; beyond it the rest wait in the queue (at least
    /// one statement is always sent when nothing is in flight).
    std::size_t max_in_flight = 1024;
    /// Bytes sent and not yet answered (SQL text and parameter values, about the size of the
    /// Parse/Bind messages); when reached, the rest wait in the queue.
    std::size_t max_in_flight_bytes = std::size_t{4} << 20;
};

/// A move-only completion handler behind one virtual call. (Boost 1.81's
/// asio::any_completion_handler recurses without end when built from an lvalue of itself.)
template <class... Args>
class erased_handler {
public:
    erased_handler() = default;
    template <class H>
        requires(!std::is_same_v<std::decay_t<H>, erased_handler>)
    explicit erased_handler(H&& h) : impl_(std::make_unique<holder<std::decay_t<H>>>(std::forward<H>(h))) {}
    explicit operator bool() const noexcept { return impl_ != nullptr; }
    /// Calls the handler once; the object is empty afterwards.
    void operator()(Args... a) && {
        std::unique_ptr<base> p = std::move(impl_);
        p->call(std::move(a)...);
    }

private:
    struct base {
        virtual ~base() = default;
        virtual void call(Args... a) = 0;
    };
    template <class H>
    struct holder final : base {
        explicit holder(H&& x) : h(std::move(x)) {}
        explicit holder(const H& x) : h(x) {}
        void call(Args... a) override { std::move(h)(std::move(a)...); }
        H h;
    };
    std::unique_ptr<base> impl_;
};

/// Takes the rows of a streamed statement as they arrive, on the engine's strand (stream()).
struct row_sink {
    virtual ~row_sink() = default;
    /// Rows of one PGresult (one row in single-row mode); returns false to take no more.
    virtual bool take(const PGresult* r) = 0;
    std::int64_t rows = 0;  // rows handed over so far
};

/// Produces the data of a COPY FROM STDIN (binary format) a piece at a time, on the engine's
/// strand, so that a large load is encoded as it is sent and never sits whole in memory.
struct copy_source {
    virtual ~copy_source() = default;
    /// Appends the next piece (about copy_piece bytes) to `out`; sets `done` with the last one.
    virtual void fill(std::string& out) = 0;
    bool done = false;
    static constexpr std::size_t copy_piece = 64 * 1024;
};

using exec_signature = void(std::exception_ptr, result);

/// A statement's text, copied into its request: the caller's string may be a temporary, and
/// the request outlives the call. Text shorter than the inline buffer (most point queries and
/// DML) costs no allocation of its own; libpq needs it NUL-terminated, which this keeps it.
class sql_text {
public:
    sql_text() { inline_[0] = '\0'; }
    sql_text(const sql_text&) = delete;
    sql_text& operator=(const sql_text&) = delete;
    void assign(std::string_view s) {
        size_ = s.size();
        if (size_ < sizeof inline_) {
            if (size_) std::memcpy(inline_, s.data(), size_);
            inline_[size_] = '\0';
            heap_.clear();
        } else {
            heap_.assign(s);
        }
    }
    const char* c_str() const noexcept { return size_ < sizeof inline_ ? inline_ : heap_.c_str(); }
    std::size_t size() const noexcept { return size_; }
    std::string_view view() const noexcept { return {c_str(), size_}; }
    operator std::string_view() const noexcept { return view(); }

private:
    std::size_t size_ = 0;
    char inline_[112];
    std::string heap_;
};
using notify_handler = erased_handler<std::exception_ptr, notification>;

/// One statement on its way through the pipeline. Made by make_request(), which puts the
/// caller's completion handler in the same allocation (one malloc per statement, not two).
struct async_request : std::enable_shared_from_this<async_request> {
    async_request() = default;
    async_request(const async_request&) = delete;
    async_request& operator=(const async_request&) = delete;
    virtual ~async_request() = default;
    /// Calls the completion handler; once, on done_executor (complete() posts it).
    virtual void invoke(std::exception_ptr ep, result r) = 0;
    /// A typed call turns its statement's result into the caller's value as soon as it arrives
    /// (on the strand), so its PGresult is freed at once instead of being held until the Sync
    /// and the caller's turn (many live PGresults make every malloc slower). Returns false for
    /// a request that takes the result itself. A request sent again converts again.
    virtual bool convert_now(const result&) { return false; }

    sql_text sql;
    param_list params;
    std::chrono::milliseconds timeout{0};  // 0: none

    boost::asio::any_io_executor done_executor;
    boost::asio::cancellation_slot slot;

    std::string prepared_key;  // non-empty when this request prepared the statement it runs
    bool prepare_ran = false;  // its Parse succeeded (a Parse after an error in the batch is skipped)
    bool own_sync = false;     // sent with a Sync of its own even in per-batch mode (a re-send)
    std::uint64_t sync_group = 0;  // the Sync it was sent before (engine's count)
    int commands = 1;          // statements sent before its Sync (2 when it prepares first)
    std::size_t wire_bytes = 0;  // what it counts against pipeline_limits::max_in_flight_bytes
    int ended = 0;             // commands whose results have ended (PQgetResult gave NULL)
    result error, last;
    std::exception_ptr outcome_error;  // what complete() hands to the caller
    result outcome;
    bool sent = false, finished = false, cancel_wanted = false;
    std::unique_ptr<boost::asio::steady_timer> timer;

    // Streaming (stream()): rows go to the sink one at a time instead of into `last`.
    std::shared_ptr<row_sink> sink;
    bool single_row = false;        // PQsetSingleRowMode accepted for its statement
    bool sink_stopped = false;      // the sink said stop, or threw: later rows are read and dropped
    std::exception_ptr sink_error;  // what the sink threw, or the COPY source (reported first)

    // COPY FROM STDIN (copy_in()): `sql` is the COPY statement, the data comes from here.
    std::shared_ptr<copy_source> copy;
};

template <class H>
struct async_request_for final : async_request {
    explicit async_request_for(H&& h) : handler(std::move(h)) {}
    void invoke(std::exception_ptr ep, result r) override { std::move(handler)(std::move(ep), std::move(r)); }
    bool convert_now(const result& r) override {
        if constexpr (requires(H& h) { h.convert_now(r); }) {
            handler.convert_now(r);
            return true;
        } else {
            return false;
        }
    }
    H handler;
};

/// A request that completes through `handler` (signature exec_signature).
template <class H>
std::shared_ptr<async_request> make_request(H&& handler) {
    return std::make_shared<async_request_for<std::decay_t<H>>>(std::forward<H>(handler));
}

PGORM_DECL std::exception_ptr connection_lost_error(const std::string& why);

PGORM_DECL std::exception_ptr canceled_before_sent(std::string_view sql);

/// Finished requests on their way to one executor (async_engine::complete).
struct delivery_box {
    std::mutex mutex;  // the engine's strand adds while the caller's executor may open it
    bool opened = false;
    std::vector<std::shared_ptr<async_request>> requests;
    boost::asio::any_io_executor executor;

    // On the caller's executor: calls each handler in the order they finished. One that throws
    // (a callback's exception, which leaves io_context::run()) does not strand the others: they
    // go in a box of their own first.
    void open();
};

class async_engine : public std::enable_shared_from_this<async_engine> {
public:
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

    /// Throws config_error when a limit is 0.
    async_engine(const boost::asio::any_io_executor& ex, config cfg, pipeline_sync sync = pipeline_sync::per_statement,
                 pipeline_limits limits = {});
    async_engine(const async_engine&) = delete;
    async_engine& operator=(const async_engine&) = delete;
    ~async_engine() { finish(); }

    const strand_type& strand() const noexcept { return strand_; }
    const config& settings() const noexcept { return cfg_; }
    PGconn* native() const noexcept { return conn_; }
    bool is_open() const noexcept { return conn_ && !broken_ && PQstatus(conn_) == CONNECTION_OK; }
    const async_stats& stats() const noexcept { return stats_; }
    /// Statements queued or in flight.
    std::size_t pending() const noexcept { return outbox_.size() + inflight_.size() + held_.size(); }

    // ---- connect (async_connection::connect drives these) ----

    /// PQconnectStartParams; throws connection_error when libpq refuses at once.
    void start_connect();
    /// Points the Asio descriptor at libpq's current socket. Called after every PQconnectPoll:
    /// libpq may close the socket and open another (next host in a list, SSL/GSS fallback), so
    /// the number read before is not to be trusted (PostgreSQL docs 34.1, PQconnectStartParams).
    void adopt_socket();
    boost::asio::posix::stream_descriptor& socket() noexcept { return socket_; }
    [[noreturn]] void fail_connect(const std::string& why);
    /// After PGRES_POLLING_OK: non-blocking mode and pipeline mode for the rest of its life.
    void connected();

    /// Closes the connection; everything pending fails with connection_lost. Call on the strand.
    void close() { lose("the connection was closed"); }

    // ---- statements ----

    /// Queues a statement from any thread. The first request after a write posts the strand;
    /// the others ride along (the write happens when the strand runs).
    void enqueue(std::shared_ptr<async_request> q);

private:
    // On the strand: arms the request's cancellation and timeout, then puts it in the outbox.
    void submit(std::shared_ptr<async_request> q);

public:

    /// Asks the server to stop `q`. Not sent yet: it is dropped. At the head of the pipeline: a
    /// cancel request goes out now. Behind others: when it reaches the head, since PQcancel stops
    /// whatever the backend runs at that moment, not a chosen statement.
    void cancel(const std::shared_ptr<async_request>& q);

    // ---- notifications ----

    /// Completes `h` (on `ex`) with the next notification. Cancelling `slot` completes it with
    /// boost::system::system_error(operation_aborted).
    void wait_notification(notify_handler h, boost::asio::any_io_executor ex, boost::asio::cancellation_slot slot = {});

private:
    void send_outbox();

    // per_batch: the statements queued make a whole Sync group. Then the write goes out at once,
    // while the server still runs the group before it: putting it off to gather more would
    // merge the groups again and leave the server idle while the client completes results.
    bool fills_a_sync();

    // The in-flight caps (pipeline_limits): reached only when something is already in flight.
    bool in_flight_full() const noexcept;

    // Sends the queued statements. A COPY stops the write: it waits until everything before it
    // has come back, then runs alone outside pipeline mode; statements behind it wait in the
    // outbox until it is over (copy_phase_ is none again).
    void write_outbox();

    bool sync();

    // Statements that may share a Sync with others (pipeline_sync::per_batch): those whose first
    // word is a query or DML. Anything else (transaction control, SET, DDL, VACUUM, a leading
    // comment) gets a Sync of its own, so that a batch never opens or ends a transaction and
    // never holds a statement that refuses to run in a transaction block.
    static bool shares_a_sync(std::string_view sql) noexcept;

    // Sends the statement (and its PREPARE when not cached); the caller sends the Sync.
    bool send(async_request& q, bool alone);

    void flush();

    // ---- COPY FROM STDIN, outside pipeline mode ----
    // COPY is not allowed in pipeline mode (PostgreSQL docs 34.5.1), so with nothing in flight
    // the engine leaves it (PQexitPipelineMode), sends the COPY with the simple protocol (after
    // an error the server then ignores the CopyData still coming, protocol docs 55.2.6), feeds
    // the data, ends it, reads its result and enters pipeline mode again.

    void start_copy();

    // Hands libpq the next pieces of data while the socket takes them: after each piece
    // PQflush; while it reports data left (1), wait for the socket to drain before encoding more,
    // so the output buffer stays about one piece (PQputCopyData alone would grow it).
    void pump_copy();

    // Reads the COPY's results: PGRES_COPY_IN starts the data, then its end (COMMAND_OK with
    // "COPY n", or the error), then NULL: back to pipeline mode and the statements that waited.
    void drain_copy();

    void end_copy();

    void start_read();

    void on_readable(boost::system::error_code ec);

    // Hands every complete result to its request. A request whose commands have all ended
    // waits in held_ for the Sync behind it, which settles it (and the rest of its batch).
    void drain();

    // A Sync came back: the requests in held_ are all the statements sent before it. One Sync
    // per statement (or no error): each completes with its own outcome. A shared batch with an
    // error: the server skipped everything after the failing statement (PIPELINE_ABORTED) and,
    // in its implicit transaction, rolled back everything before it; inside the user's open
    // transaction (now failed: PQTRANS_INERROR) the ones before it did run and keep their
    // results. The failing one gets its error; the rolled-back and skipped ones are sent again,
    // in order, each with a Sync of its own, so that no error of another can touch them twice.
    void settle();

    // Single-row mode (PostgreSQL docs 34.6) can be chosen only for the command libpq is about to
    // read, before any of its results is parsed: right after the previous command's results
    // ended (PQgetResult gave NULL or PIPELINE_SYNC), or right after the send when nothing was
    // in flight. In pipeline mode libpq resets it for every command (pqPipelineProcessQueue).
    void arm_single_row();

    // Hands rows to the stream's callback; what it throws ends the stream with that error.
    void feed_sink(async_request& q, result rows);

    void finish_request(async_request& q);

    void forget_text(std::string_view sql);

    // Hands a finished request to its caller, never inline: requests that finish one after another
    // for the same executor share one post (a Sync of 32 completes 32 at once), the first one
    // posting the box the others join until the box is opened on the caller's side.
    void complete(async_request& q, std::exception_ptr ep, result r = result());

    void send_cancel();

    // Nothing left to read for: no statement in flight and no one waiting for a notification.
    // Cancels the socket wait so that io_context::run() can run out of work (a listener whose
    // next() was cancelled would otherwise keep it running until closed). Notifications that
    // arrive meanwhile wait in the kernel's buffer for the next read.
    void disarm_idle_read();

    void take_libpq_notifications();

    void collect_notifications();

    static void post_notification(notify_handler h, const boost::asio::any_io_executor& ex, std::exception_ptr ep,
                                  notification n, boost::asio::cancellation_slot slot = {});

    // The connection is gone (or closed): every pending statement and waiter fails, nothing hangs.
    void lose(const std::string& why);

    void finish() noexcept;

    strand_type strand_;
    boost::asio::posix::stream_descriptor socket_;
    config cfg_;
    PGconn* conn_ = nullptr;
    bool per_batch_ = false;  // pipeline_sync::per_batch
    pipeline_limits limits_;
    std::uint64_t syncs_answered_ = 0;  // PIPELINE_SYNC results read (syncs_sent_ minus it: in flight)
    std::size_t bytes_in_flight_ = 0;   // wire_bytes of the statements sent and not yet settled
    bool broken_ = false, reading_ = false, writing_ = false;
    std::vector<std::shared_ptr<async_request>> held_;  // results in, waiting for their batch's Sync
    std::vector<std::shared_ptr<async_request>> settling_;  // settle()'s batch
    std::uint64_t syncs_sent_ = 0, completed_ = 0;
    int deferred_writes_ = 0;  // writes put off in a row for readable results (send_outbox)
    static constexpr int max_deferred_writes = 8;
    std::mutex intake_mutex_;  // guards intake_ and intake_posted_ (enqueue runs on any thread)
    std::vector<std::shared_ptr<async_request>> intake_, taken_;
    bool intake_posted_ = false;
    std::string key_scratch_;
    std::uint64_t generation_ = 0;  // one per opened connection
    std::shared_ptr<delivery_box> box_;  // the latest posted box of finished requests (complete())
    std::deque<std::shared_ptr<async_request>> outbox_, inflight_;
    struct prepared {
        std::string name;
        std::uint64_t pending_sync = 0;  // not 0: its Parse went out before this Sync, in a shared batch
    };
    std::unordered_map<std::string, prepared> statements_;  // sql + parameter OIDs -> prepared statement
    std::uint64_t next_statement_ = 0;
    std::string name_prefix_ = pgorm::detail::new_statement_prefix();  // random: see core/connection.hpp
    std::deque<notification> notes_;
    notify_handler note_waiter_;
    boost::asio::cancellation_slot note_slot_;
    boost::asio::any_io_executor note_executor_;
    async_stats stats_;
    enum class copy_phase { none, starting, sending, ending };
    copy_phase copy_phase_ = copy_phase::none;  // not none: a COPY runs, outside pipeline mode
    std::string copy_piece_;                    // encoded data not yet handed to libpq from copy_at_
    std::size_t copy_at_ = 0;
};

}  // namespace detail
}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/async/impl/engine.ipp>
#endif
