// pgorm command bus example (seed 001, issue 13 item 8): a payments domain end to end. A debit is sent in the same
// transaction as a business row; a worker runs the handler, which fails once transiently and
// refuses one card permanently; the refused command waits in the troubleshooting queue until an
// operator completes it; replies and the audit trail are printed.
//
// Runs on an embedded throwaway PostgreSQL 15 that it starts and removes. CTest runs it
// (example_payments): it exits 1 unless every step ended as described above.

#include <pgorm.hpp>
#include <pgorm/bus.hpp>
#include <pgorm/testing.hpp>

#include <boost/uuid/uuid_io.hpp>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>

struct Debit {
    std::string card;
    std::int64_t amount_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Debit, (), (card, amount_cents))

struct Receipt {
    std::string authorization;
};
BOOST_DESCRIBE_STRUCT(Receipt, (), (authorization))

int main() try {
    using namespace std::chrono_literals;
    namespace bus = pgorm::bus;
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database database(server);
    pgorm::pool db(database.url());
    {
        auto c = db.acquire();
        std::cout << "bus schema version " << bus::install(c).version << '\n';
        bus::create_domain(c, "payments");
        c->execute_script("CREATE TABLE invoices (id bigserial PRIMARY KEY, total_cents bigint NOT NULL)");
    }

    // Send: the invoice row and both debits commit together, or not at all.
    bus::command_bus commands;
    bus::command_options o;
    o.reply_to = bus::replies_queue("payments");
    o.correlation_id = bus::new_id();
    const auto good = bus::new_id(), refused = bus::new_id();
    db.transact([&](pgorm::xact& tx) {
        tx.conn().execute("INSERT INTO invoices (total_cents) VALUES ($1)", std::int64_t(4200));
        commands.send(tx, "payments", "Debit", good, Debit{"4242", 4200}, o);
        commands.send(tx, "payments", "Debit", refused, Debit{"0000", 100}, o);
    });

    // Work: one transient failure (retried at once here), one permanent refusal.
    bus::handler_registry handlers;
    handlers.on<Debit>("payments", "Debit", [](const Debit& d, bus::handler_context& ctx) -> Receipt {
        if (d.card == "0000") throw bus::permanent_command_error("CARD_DECLINED", "card 0000 was declined");
        if (ctx.attempt == 1) throw bus::transient_command_error("BANK_TIMEOUT", "the bank did not answer");
        return Receipt{"AUTH-" + d.card};
    });
    bus::worker_options wo;
    wo.concurrency = 2;
    wo.poll_interval = 100ms;
    wo.retry.backoff_schedule = {0s};
    {
        bus::worker w(db, "payments", handlers, wo);
        w.start();
        auto c = db.acquire();
        while (bus::get_command(c, "payments", good)->status != bus::command_status::COMPLETED ||
               bus::list_troubleshooting(c, "payments").empty())
            std::this_thread::sleep_for(50ms);
    }

    // Operate: the refused debit was settled by phone.
    auto c = db.acquire();
    for (const auto& m : bus::list_troubleshooting(c, "payments"))
        std::cout << "troubleshooting: " << m.command_id << ' ' << m.last_error_code.value_or("") << ": "
                  << m.last_error_msg.value_or("") << '\n';
    bus::operator_complete(c, "payments", refused, Receipt{"PHONE-1"}, "alice", "customer paid by phone");

    // Replies, in the order they were sent: the good debit's SUCCESS, the refused one's FAILED
    // and then its SUCCESS from the operator (the two commands' replies may interleave).
    bus::reply_reader<Receipt> replies(c, bus::replies_queue("payments"));
    std::string outcomes;
    for (const auto& r : replies.read(30s, 10)) {
        outcomes += std::string(r.command_id == good ? "good:" : "refused:") + std::string(pgorm::enum_label(r.outcome)) + ' ';
        std::cout << "reply " << r.command_id << ' ' << pgorm::enum_label(r.outcome);
        if (r.result) std::cout << ' ' << r.result->authorization;
        std::cout << '\n';
        replies.ack(r.msg_id);
    }

    // The audit trail of each command.
    std::string trails;
    for (const auto& id : {good, refused}) {
        std::cout << "audit " << id << ":\n";
        for (const auto& e : bus::audit_trail(c, id)) {
            std::cout << "  " << pgorm::enum_label(e.event_type) << ' ' << (e.details ? e.details->text : "") << '\n';
            trails += std::string(pgorm::enum_label(e.event_type)) + ' ';
        }
        trails += "| ";
    }
    // Keep each command's replies in order, the commands in a fixed order.
    std::string good_replies, refused_replies;
    for (std::size_t from = 0, to; (to = outcomes.find(' ', from)) != std::string::npos; from = to + 1) {
        const std::string one = outcomes.substr(from, to + 1 - from);
        (one.rfind("good:", 0) == 0 ? good_replies : refused_replies) += one;
    }
    outcomes = good_replies + refused_replies;
    const std::string want_outcomes = "good:SUCCESS refused:FAILED refused:SUCCESS ",
                      want_trails = "SENT RECEIVED FAILED RETRY_SCHEDULED RECEIVED COMPLETED | "
                                    "SENT RECEIVED FAILED MOVED_TO_TSQ OPERATOR_COMPLETE | ";
    const auto invoices = c->query_value<std::int64_t>("SELECT count(*) FROM invoices");
    if (outcomes != want_outcomes || trails != want_trails || invoices != 1) {
        std::cerr << "payments: expected replies \"" << want_outcomes << "\" and trails \"" << want_trails
                  << "\", got \"" << outcomes << "\" and \"" << trails << "\" (" << invoices << " invoices)\n";
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::cerr << "payments: " << e.what() << '\n';
    return 1;
}
