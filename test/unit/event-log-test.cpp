// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The host's event-log reader (src/zuki/event-log on src/shared/tcg-log) on logs written here
// byte by byte from TCG PC Client PFP 10.2 (a SHA-1 format Spec ID event, then TCG_PCR_EVENT2s),
// malformed ones included, and the comparison of logged stub events with the prediction.

#include <gtest/gtest.h>

#include <openssl/sha.h>

#include "event-log.hpp"
#include "expected-events.hpp"
#include "failure.hpp"
#include "measure.hpp"
#include "uki-fixture.hpp"

namespace zuki {
namespace {

using Log = std::vector<uint8_t>;

void put32(Log *b, uint32_t v) {
        for (int i = 0; i < 4; i++)
                b->push_back((uint8_t) (v >> (8 * i)));
}
void put16(Log *b, uint16_t v) {
        b->push_back((uint8_t) v);
        b->push_back((uint8_t) (v >> 8));
}

Buffer sha256_of(const Log &data) {
        Buffer d(32);
        SHA256(data.data(), data.size(), d.data());
        return d;
}

// The Spec ID event listing `algs` (id, size) pairs.
Log spec_id(std::vector<std::pair<uint16_t, uint16_t>> algs = {{0x0004, 20}, {0x000b, 32}}) {
        Log data = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n', 't', '0', '3', 0};
        put32(&data, 0);                   // platformClass
        data.insert(data.end(), {0, 2, 0, 2}); // versions, uintnSize
        put32(&data, (uint32_t) algs.size());
        for (auto [id, size] : algs) {
                put16(&data, id);
                put16(&data, size);
        }
        data.push_back(0); // vendorInfoSize
        Log ev;
        put32(&ev, 0);
        put32(&ev, 3); // EV_NO_ACTION
        ev.resize(ev.size() + 20, 0);
        put32(&ev, (uint32_t) data.size());
        ev.insert(ev.end(), data.begin(), data.end());
        return ev;
}

// A TCG_PCR_EVENT2 with SHA-1 and SHA-256 digests of `hashed` and `data` as its event data.
Log event2(uint32_t pcr, uint32_t type, const Log &hashed, const Log &data) {
        Log e;
        put32(&e, pcr);
        put32(&e, type);
        put32(&e, 2);
        put16(&e, 0x0004);
        Buffer s1(20);
        SHA1(hashed.data(), hashed.size(), s1.data());
        e.insert(e.end(), s1.begin(), s1.end());
        put16(&e, 0x000b);
        Buffer s2 = sha256_of(hashed);
        e.insert(e.end(), s2.begin(), s2.end());
        put32(&e, (uint32_t) data.size());
        e.insert(e.end(), data.begin(), data.end());
        return e;
}

Log utf16(const std::string &s) {
        Log out;
        for (char c : s)
                put16(&out, (uint8_t) c);
        put16(&out, 0);
        return out;
}

Log ascii_nul(const std::string &s) {
        Log out(s.begin(), s.end());
        out.push_back(0);
        return out;
}

Log cat(std::initializer_list<Log> parts) {
        Log out;
        for (const Log &p : parts)
                out.insert(out.end(), p.begin(), p.end());
        return out;
}

EventLog parse(const Log &l) { return parse_event_log(Bytes(l.data(), l.size()), "log"); }

TEST(EventLog, ParsesAndReplays) {
        Log linux_event = event2(11, measure::kEvIpl, ascii_nul(".linux"), utf16(".linux"));
        Log kernel_event = event2(11, measure::kEvIpl, Log{'k'}, utf16(".linux"));
        Log loc_data = {'S', 't', 'a', 'r', 't', 'u', 'p', 'L', 'o', 'c', 'a', 'l', 'i', 't', 'y', 0, 3};
        Log l = cat({spec_id(), event2(0, 3, {}, loc_data), event2(0, 8, Log{'v'}, Log{'v'}), linux_event, kernel_event});
        EventLog log = parse(l);
        ASSERT_EQ(log.events.size(), 4u);
        EXPECT_EQ(log.startup_locality, 3);
        EXPECT_EQ(log.events[2].index, 3u);
        std::array<Buffer, kPcrCount> pcrs = replay_sha256(log);
        // PCR 0: starts at locality 3, the EV_NO_ACTION event is not extended.
        Log pcr0(32, 0);
        pcr0[31] = 3;
        Buffer v = sha256_of(Log{'v'});
        EXPECT_EQ(pcrs[0], sha256_of(cat({pcr0, v})));
        Buffer p11 = sha256_of(cat({Log(32, 0), sha256_of(ascii_nul(".linux"))}));
        p11 = sha256_of(cat({p11, sha256_of(Log{'k'})}));
        EXPECT_EQ(pcrs[11], p11);
        EXPECT_EQ(pcrs[12], Buffer(32, 0));
        EXPECT_EQ(pcrs[17], Buffer(32, 0xff));

        std::vector<StubEvent> stub = stub_events(log, {11, 12});
        ASSERT_EQ(stub.size(), 2u);
        EXPECT_EQ(stub[0].description, ".linux");
        EXPECT_EQ(stub[0].log_index, 3u);
        EXPECT_EQ(event_type_name(stub[0].type), "EV_IPL");
}

TEST(EventLog, TaggedEventDescription) {
        Log tagged;
        put32(&tagged, measure::kProfileEventTag);
        Log text = utf16("1");
        put32(&tagged, (uint32_t) text.size());
        tagged.insert(tagged.end(), text.begin(), text.end());
        EventLog log = parse(cat({spec_id(), event2(12, measure::kEvEventTag, text, tagged)}));
        std::vector<StubEvent> stub = stub_events(log, {12});
        ASSERT_EQ(stub.size(), 1u);
        EXPECT_EQ(stub[0].description, "1");
        EXPECT_EQ(event_type_name(stub[0].type), "EV_EVENT_TAG");
}

TEST(EventLog, RefusesTruncations) {
        Log e1 = event2(4, 0x80000003, Log{'a'}, Log(40, 'x'));
        Log l = cat({spec_id(), e1, event2(5, 4, Log{0, 0, 0, 0}, Log{0, 0, 0, 0})});
        size_t boundaries[] = {spec_id().size(), spec_id().size() + e1.size(), l.size()};
        for (size_t n = 0; n < l.size(); n++) {
                Log cut(l.begin(), l.begin() + n);
                bool boundary = std::find(std::begin(boundaries), std::end(boundaries), n) != std::end(boundaries);
                if (boundary)
                        EXPECT_NO_THROW(parse(cut)) << n;
                else
                        EXPECT_THROW(parse(cut), Failure) << n;
        }
}

TEST(EventLog, RefusesAbsurdSizes) {
        Log e = event2(4, 4, Log{'a'}, Log{'b'});
        // Event data size: 4 GiB - 1.
        Log big = e;
        size_t size_at = 12 + 2 + 20 + 2 + 32;
        big[size_at] = big[size_at + 1] = big[size_at + 2] = big[size_at + 3] = 0xff;
        EXPECT_THROW(parse(cat({spec_id(), big})), Failure);
        // Digest count far beyond the algorithms there are.
        Log count = e;
        count[8] = count[9] = count[10] = 0x7f;
        EXPECT_THROW(parse(cat({spec_id(), count})), Failure);
        // No digests at all.
        Log none = e;
        none[8] = 0;
        EXPECT_THROW(parse(cat({spec_id(), none})), Failure);
        // A PCR that does not exist.
        Log pcr = e;
        pcr[0] = 24;
        EXPECT_THROW(parse(cat({spec_id(), pcr})), Failure);
        // A Spec ID event claiming 200 algorithms, or a digest of 4000 bytes.
        Log many = spec_id();
        many[32 + 24] = 200;
        EXPECT_THROW(parse(many), Failure);
        EXPECT_THROW(parse(spec_id({{0x0004, 20}, {0x0099, 4000}})), Failure);
        // The legacy header's event size running past the file.
        Log legacy = spec_id();
        legacy[28] = 0xff;
        legacy[29] = 0xff;
        EXPECT_THROW(parse(legacy), Failure);
        // Not a Spec ID event at all.
        Log sig = spec_id();
        sig[32] = 'X';
        EXPECT_THROW(parse(sig), Failure);
}

TEST(EventLog, UnknownAlgorithms) {
        // An algorithm the Spec ID event lists with its size is carried, even unknown to zuki.
        Log e;
        put32(&e, 7);
        put32(&e, 4);
        put32(&e, 1);
        put16(&e, 0x0012); // SM3_256
        e.resize(e.size() + 32, 0x5a);
        put32(&e, 0);
        EventLog log = parse(cat({spec_id({{0x0012, 32}}), e}));
        ASSERT_EQ(log.events.size(), 1u);
        EXPECT_TRUE(log.events[0].sha256.empty());
        // An event using an algorithm the Spec ID event did not list.
        EXPECT_THROW(parse(cat({spec_id({{0x0004, 20}}), e})), Failure);
        // A known algorithm with the wrong size.
        EXPECT_THROW(parse(spec_id({{0x000b, 20}})), Failure);
}

StubEvent ev(uint32_t pcr, const std::string &desc, const std::string &hashed, uint32_t type = measure::kEvIpl) {
        StubEvent e;
        e.pcr = pcr;
        e.type = type;
        e.description = desc;
        e.sha256 = sha256_of(Log(hashed.begin(), hashed.end()));
        return e;
}

TEST(EventCompare, FirstMismatch) {
        std::vector<StubEvent> want = {ev(12, "1", "p", measure::kEvEventTag), ev(11, ".linux", "n"), ev(11, ".linux", "k"),
                                       ev(11, ".cmdline", "c"), ev(11, ".cmdline", "quiet"), ev(12, "x", "x")};
        EXPECT_FALSE(first_mismatch(want, want));

        std::vector<StubEvent> got = want;
        got[4].sha256 = sha256_of(Log{'Q'});
        got[4].log_index = 42;
        std::optional<EventMismatch> m = first_mismatch(want, got);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->pcr, 11u);
        EXPECT_EQ(m->position, 3u);
        EXPECT_EQ(m->expected->description, ".cmdline");
        EXPECT_EQ(m->expected->sha256, want[4].sha256);
        EXPECT_EQ(m->found->sha256, got[4].sha256);
        EXPECT_EQ(m->found->log_index, 42u);

        // PCR 11 is judged before PCR 12 although the profile tag comes first in the log.
        got = want;
        got[0].description = "2";
        got[2].sha256 = sha256_of(Log{'K'});
        m = first_mismatch(want, got);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->pcr, 11u);
        EXPECT_EQ(m->position, 1u);

        // A missing and an extra event.
        got = want;
        got.pop_back();
        m = first_mismatch(want, got);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->pcr, 12u);
        EXPECT_TRUE(m->expected && !m->found);
        got = want;
        got.push_back(ev(11, ".osrel", "o"));
        m = first_mismatch(want, got);
        ASSERT_TRUE(m);
        EXPECT_TRUE(!m->expected && m->found);
        EXPECT_EQ(m->found->description, ".osrel");

        // Same digest, other type.
        got = want;
        got[1].type = measure::kEvEventTag;
        EXPECT_TRUE(first_mismatch(want, got));
}

TEST(EventCompare, ExpectedEventsFromAUki) {
        test::Uki u = test::make_uki({{".linux", "kernel"}, {".osrel", "ID=x\n"}, {".cmdline", "quiet"}});
        std::u16string cmdline = u"debug";
        cmdline.push_back(0);
        std::vector<StubEvent> e = expected_events(Bytes(u.file.data(), u.file.size()), 0, cmdline, "uki");
        ASSERT_EQ(e.size(), 7u);
        EXPECT_EQ(e[0].description, ".linux");
        EXPECT_EQ(e[0].sha256, sha256_of(ascii_nul(".linux")));
        EXPECT_EQ(e[1].sha256, sha256_of(Log{'k', 'e', 'r', 'n', 'e', 'l'}));
        EXPECT_EQ(e[6].pcr, 12u);
        EXPECT_EQ(e[6].description, "debug");
        EXPECT_EQ(e[6].sha256, sha256_of(utf16("debug")));
        // The same events written into a log compare equal to the prediction.
        Log l = spec_id();
        Log sections[][2] = {{ascii_nul(".linux"), Log{'k', 'e', 'r', 'n', 'e', 'l'}},
                             {ascii_nul(".osrel"), Log{'I', 'D', '=', 'x', '\n'}},
                             {ascii_nul(".cmdline"), Log{'q', 'u', 'i', 'e', 't'}}};
        for (auto &s : sections) {
                std::string name(s[0].begin(), s[0].end() - 1);
                l = cat({l, event2(11, measure::kEvIpl, s[0], utf16(name)), event2(11, measure::kEvIpl, s[1], utf16(name))});
        }
        l = cat({l, event2(12, measure::kEvIpl, utf16("debug"), utf16("debug"))});
        EXPECT_FALSE(first_mismatch(e, stub_events(parse(l), {11, 12})));
        EXPECT_THROW(expected_events(Bytes(u.file.data(), 10), 0, std::nullopt, "uki"), Failure);
}

} // namespace
} // namespace zuki
