// A translation unit using queue/, events/, bus/, async/ and testing's servers, built as
// pgorm::compiled's users build: check_symbols.cmake asserts that its object file references
// their out-of-line functions and defines none of them (separate_compilation:symbols_layers).
#include <pgorm.hpp>
#include <pgorm/async.hpp>
#include <pgorm/bus.hpp>
#include <pgorm/events.hpp>
#include <pgorm/queue.hpp>
#include <pgorm/testing/fault_proxy.hpp>
#include <pgorm/testing/pgbouncer.hpp>
#include <pgorm/testing/replica.hpp>

#include <boost/asio/io_context.hpp>

#include <string>

std::string pgorm_separate_layers_probe(const pgorm::config& cfg) {
    boost::asio::io_context io;
    pgorm::async_connection ac(io.get_executor(), cfg);           // async/: engine and connection
    auto locks = pgorm::events::make_lock_backend(cfg, "probe");  // events/
    pgorm::testing::fault_proxy proxy(5432);                      // testing/fault_proxy
    int port = pgorm::testing::detail::free_loopback_port();      // testing/server_process
    return pgorm::queue::insert_channel("probe") + boost::uuids::to_string(pgorm::bus::new_id()) +  // queue/, bus/
           std::to_string(port);
}
