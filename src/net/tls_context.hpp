// TLS 1.3 contexts for mutual authentication: the receiver requires a client
// certificate signed by its client CA; the sender verifies the receiver's
// certificate against its CA and the name it connected to. Built once at
// start-up; an asio::ssl::context is then shared read-only by connections.
#pragma once

#include <memory>
#include <string>

#include <asio/ssl/context.hpp>

#include "framewire/status.hpp"

namespace framewire::net {

// kMalformed (unreadable or mismatched files) with the file named.
Result<std::unique_ptr<asio::ssl::context>> make_server_tls(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            const std::string& client_ca_file);

Result<std::unique_ptr<asio::ssl::context>> make_client_tls(const std::string& ca_file,
                                                            const std::string& cert_file,
                                                            const std::string& key_file);

}  // namespace framewire::net
