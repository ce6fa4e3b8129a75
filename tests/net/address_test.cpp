// parse_host_port: HOST:PORT as users type it, IPv6 only in brackets, ports
// 0..65535 only.
#include <gtest/gtest.h>

#include <string>

#include "net/address.hpp"

namespace framewire::net {
namespace {

void expect_parsed(const std::string& text, const std::string& host, const std::string& port) {
  const auto parsed = parse_host_port(text);
  ASSERT_TRUE(parsed.is_ok()) << text << ": " << parsed.status().to_string();
  EXPECT_EQ(parsed->host, host) << text;
  EXPECT_EQ(parsed->port, port) << text;
}

void expect_rejected(const std::string& text) {
  const auto parsed = parse_host_port(text);
  ASSERT_FALSE(parsed.is_ok()) << text << " parsed as " << parsed->host << " / " << parsed->port;
  EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformed) << text;
  EXPECT_NE(parsed.status().message().find(text), std::string::npos)
      << "the message should quote the input: " << parsed.status().message();
}

TEST(ParseHostPort, HostNameAndPort) {
  expect_parsed("localhost:7000", "localhost", "7000");
}

TEST(ParseHostPort, Ipv4AndPortZero) {
  expect_parsed("127.0.0.1:0", "127.0.0.1", "0");
}

TEST(ParseHostPort, BracketedIpv6) {
  expect_parsed("[::1]:0", "::1", "0");
  expect_parsed("[fe80::1]:7000", "fe80::1", "7000");
}

TEST(ParseHostPort, HighestPort) {
  expect_parsed("h:65535", "h", "65535");
}

TEST(ParseHostPort, Ipv6WithoutBracketsIsRejected) {
  expect_rejected("::1:7000");
}

TEST(ParseHostPort, EmptyPortIsRejected) {
  expect_rejected("host:");
}

TEST(ParseHostPort, PortAbove65535IsRejected) {
  expect_rejected("host:65536");
  expect_rejected("host:4294967296");  // would wrap a 32-bit parse to 0
  expect_rejected("host:99999999999999999999");
}

TEST(ParseHostPort, MalformedPortsAreRejected) {
  expect_rejected("host:-1");
  expect_rejected("host:+1");
  expect_rejected("host:7000x");
  expect_rejected("host: 7000");
  expect_rejected("host:0x10");
}

TEST(ParseHostPort, MissingPartsAreRejected) {
  expect_rejected("localhost");
  expect_rejected(":7000");
  expect_rejected("[]:7000");
  expect_rejected("");
}

}  // namespace
}  // namespace framewire::net
