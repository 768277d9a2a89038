// The etcd gateway's JSON: bodies we send, answers we read (shapes as etcd 3.4 writes them).
#include "etcd_codec.hpp"

#include <gtest/gtest.h>

#include "etcd_request.hpp"

using namespace weft::cluster;
using weft::Json;

static const char* kHeader =
    R"("header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437",)"
    R"("revision":"7","raft_term":"2"})";

TEST(EtcdCodec, Base64RoundTripsEveryLength) {
    // Reference values from RFC 4648 section 10.
    EXPECT_EQ(base64Encode(""), "");
    EXPECT_EQ(base64Encode("f"), "Zg==");
    EXPECT_EQ(base64Encode("fo"), "Zm8=");
    EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(base64Decode(base64Encode(bytes)), bytes) << "length " << i;
        bytes.push_back(char(i * 37));  // every byte value, NUL and 0xff included
    }
}

TEST(EtcdCodec, Base64RejectsGarbage) {
    EXPECT_THROW(base64Decode("abc"), EtcdProtocolError);
    EXPECT_THROW(base64Decode("a!b?"), EtcdProtocolError);
}

TEST(EtcdCodec, PrefixRangeEnd) {
    EXPECT_EQ(prefixRangeEnd("/weft/"), "/weft0");
    EXPECT_EQ(prefixRangeEnd("a\xff"), "b");
    EXPECT_EQ(prefixRangeEnd("\xff\xff"), std::string(1, '\0'));
    EXPECT_EQ(prefixRangeEnd(""), std::string(1, '\0'));
}

TEST(EtcdCodec, RequestBodies) {
    Json r = Json::parse(rangeBody("/w/", "/w0", 12));
    EXPECT_EQ(r.at("key"), base64Encode("/w/"));
    EXPECT_EQ(r.at("range_end"), base64Encode("/w0"));
    EXPECT_EQ(r.at("revision"), "12");
    EXPECT_FALSE(r.contains("limit"));
    Json p = Json::parse(putBody("k", "v", 7587899298999303429));
    EXPECT_EQ(p.at("lease"), "7587899298999303429");  // exact: above 2^53
    EXPECT_EQ(base64Decode(p.at("value")), "v");
    EXPECT_FALSE(Json::parse(putBody("k", "v", 0)).contains("lease"));
    EXPECT_EQ(Json::parse(leaseGrantBody(15)).at("TTL"), "15");
    EXPECT_EQ(Json::parse(leaseIdBody(42)).at("ID"), "42");
    Json w = Json::parse(watchCreateBody("/w/", "/w0", 9)).at("create_request");
    EXPECT_EQ(w.at("start_revision"), "9");
    EXPECT_EQ(base64Decode(w.at("range_end")), "/w0");
}

TEST(EtcdCodec, ParsesRange) {
    std::string body = std::string("{") + kHeader +
                       R"(,"kvs":[{"key":"L3cvYQ==","create_revision":"2","mod_revision":"3",)"
                       R"("version":"2","value":"djE=","lease":"99"}],"count":"1"})";
    RangeResult r = parseRange(body);
    EXPECT_EQ(r.revision, 7);
    ASSERT_EQ(r.kvs.size(), 1u);
    EXPECT_EQ(r.kvs[0], (KeyValue{"/w/a", "v1", 2, 3, 2, 99}));
    EXPECT_TRUE(parseRange(std::string("{") + kHeader + "}").kvs.empty());
    EXPECT_THROW(parseRange("{}"), EtcdProtocolError);
    EXPECT_THROW(parseRange("<html>"), EtcdProtocolError);
    EXPECT_THROW(parseRange(std::string("{") + kHeader + R"(,"kvs":[{"key":"%%%%"}]})"),
                 EtcdProtocolError);
}

TEST(EtcdCodec, ParsesLeaseAnswers) {
    LeaseGrant g =
        parseLeaseGrant(std::string("{") + kHeader + R"(,"ID":"7587899298999303429","TTL":"5"})");
    EXPECT_EQ(g.id, 7587899298999303429);
    EXPECT_EQ(g.ttl, 5);
    EXPECT_EQ(
        parseKeepAliveTtl(std::string(R"({"result":{)") + kHeader + R"(,"ID":"1","TTL":"4"}})"), 4);
    // An expired lease: etcd leaves the zero TTL out.
    EXPECT_EQ(parseKeepAliveTtl(std::string(R"({"result":{)") + kHeader + R"(,"ID":"1"}})"), 0);
    EXPECT_EQ(parseDeleted(std::string("{") + kHeader + R"(,"deleted":"3"})"), 3);
}

TEST(EtcdCodec, ParsesWatchEvents) {
    WatchResponse c =
        parseWatchLine(std::string(R"({"result":{)") + kHeader + R"(,"created":true}})");
    EXPECT_TRUE(c.created);
    EXPECT_EQ(c.revision, 7);
    WatchResponse w = parseWatchLine(
        std::string(R"({"result":{)") + kHeader +
        R"(,"events":[{"kv":{"key":"L3cvYQ==","create_revision":"4","mod_revision":"4",)"
        R"("version":"1","value":"djE="}},{"type":"DELETE","kv":{"key":"L3cvYg==",)"
        R"("mod_revision":"5"}}]}})");
    ASSERT_EQ(w.events.size(), 2u);
    EXPECT_EQ(w.events[0], (WatchEvent{WatchEvent::Type::Put, "/w/a", "v1", 4}));
    EXPECT_EQ(w.events[1], (WatchEvent{WatchEvent::Type::Delete, "/w/b", "", 5}));
    EXPECT_THROW(parseWatchLine(R"({"result":{"events":[{"type":"BOGUS","kv":{}}]}})"),
                 EtcdProtocolError);
    EXPECT_THROW(parseWatchLine(R"({"nothing":1})"), EtcdProtocolError);
}

TEST(EtcdCodec, ParsesCompaction) {
    // As etcd 3.4 sends it for a start revision below the compaction: no header revision.
    WatchResponse w =
        parseWatchLine(R"({"result":{"header":{"cluster_id":"1","member_id":"2","raft_term":"2"},)"
                       R"("canceled":true,"compact_revision":"3"}})");
    EXPECT_TRUE(w.canceled);
    EXPECT_EQ(w.compactRevision, 3);
    EXPECT_EQ(w.revision, 0);
}

TEST(EtcdCodec, ParsesErrorBodies) {
    auto unary = parseErrorBody(
        R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})");
    ASSERT_TRUE(unary);
    EXPECT_EQ(unary->kind, EtcdStatus::Kind::Server);
    EXPECT_EQ(unary->grpcCode, 5);
    EXPECT_EQ(unary->message, "etcdserver: requested lease not found");
    auto stream = parseErrorBody(
        R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})");
    ASSERT_TRUE(stream);
    EXPECT_EQ(stream->grpcCode, 14);
    EXPECT_EQ(stream->message, "etcdserver: no leader");
    EXPECT_FALSE(parseErrorBody(std::string("{") + kHeader + "}"));
    EXPECT_FALSE(parseErrorBody("not json"));
}

TEST(EtcdRequest, ClassifiesResults) {
    EXPECT_TRUE(classifyResult(CURLE_OK, "", 200, "{}").ok());
    auto tls =
        classifyResult(CURLE_PEER_FAILED_VERIFICATION,
                       "SSL certificate problem: unable to get local issuer certificate", 0, "");
    EXPECT_EQ(tls.kind, EtcdStatus::Kind::Transport);
    EXPECT_NE(tls.message.find("certificate"), std::string::npos);
    auto notFound = classifyResult(CURLE_OK, "", 404,
                                   R"({"error":"etcdserver: requested lease not found","code":5})");
    EXPECT_EQ(notFound.kind, EtcdStatus::Kind::Server);
    auto noLeader =
        classifyResult(CURLE_OK, "", 503, R"({"error":"etcdserver: no leader","code":14})");
    EXPECT_EQ(noLeader.kind, EtcdStatus::Kind::Transport);  // another member may have one
    EXPECT_EQ(classifyResult(CURLE_OK, "", 502, "<html>").kind, EtcdStatus::Kind::Protocol);
}
