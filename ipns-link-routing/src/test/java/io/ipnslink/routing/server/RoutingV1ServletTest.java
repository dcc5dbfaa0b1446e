package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.TomcatServer;
import io.ipnslink.routing.store.JdbcRecordStore;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.RecordStoreException;
import io.ipnslink.routing.store.StoredRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoutingV1ServletTest {
    static final String RECORD = RoutingV1.IPNS_RECORD_MEDIA_TYPE;

    @TempDir
    Path dir;
    MutableClock clock;
    JdbcRecordStore store;
    JdbcRecordStore fullStore;
    TomcatServer server;
    HttpClient http;
    Identity alice;
    Instant inADay;

    @BeforeEach
    void start() throws Exception {
        clock = MutableClock.atNow();
        store = JdbcRecordStore.h2File(dir.resolve("db"), clock);
        fullStore = JdbcRecordStore.h2File(dir.resolve("fulldb"), clock, JdbcRecordStore.Limits.defaults().withMaxNames(1));
        RoutingV1Servlet.Settings settings = RoutingV1Servlet.Settings.defaults().withClock(clock);
        server = new TomcatServer(dir.resolve("tomcat"))
                .mount("/routing/v1/*", new RoutingV1Servlet(store, settings))
                .mount("/broken/routing/v1/*", new RoutingV1Servlet(new FailingStore(), settings))
                .mount("/limited/routing/v1/*", new RoutingV1Servlet(store, settings.withPutRate(2, 0.001)))
                .mount("/full/routing/v1/*", new RoutingV1Servlet(fullStore, settings))
                .mount("/newnames/routing/v1/*", new AsClient(store, settings.withNewNamesPerHour(2)))
                .mount("/newnamesfull/routing/v1/*", new AsClient(fullStore, settings.withNewNamesPerHour(1)))
                .start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        alice = TestRecords.newIdentity();
        inADay = clock.instant().plus(Duration.ofDays(1));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        store.close();
        fullStore.close();
    }

    // ---------------------------------------------------------------- GET

    @Test
    void getFoundAnswersTheRawRecordWithCachingHeaders() throws Exception {
        IpnsRecord r = alice.record(4, clock.instant().plus(Duration.ofHours(2)), Duration.ofMinutes(5), "/ipfs/x");
        store.put(alice.name(), r);
        HttpResponse<byte[]> resp = send(get(alice.name()).header("Accept", RECORD));
        assertEquals(200, resp.statusCode());
        assertEquals(RECORD, header(resp, "Content-Type"));
        assertArrayEquals(r.raw(), resp.body());
        assertTrue(header(resp, "Etag").matches("\"[0-9a-f]{32}\""), header(resp, "Etag"));
        assertEquals("public, max-age=300, stale-while-revalidate=7200, stale-if-error=7200",
                header(resp, "Cache-Control"));
        assertEquals(RoutingV1Servlet.httpDate(r.validity()), header(resp, "Expires"));
        assertEquals(RoutingV1Servlet.httpDate(clock.instant()), header(resp, "Last-Modified"));
        assertEquals("Accept", header(resp, "Vary"));
        assertEquals("*", header(resp, "Access-Control-Allow-Origin"));
    }

    @Test
    void httpDatesAreImfFixdateInGmt() {
        assertEquals("Sun, 02 Nov 2025 03:04:05 GMT",
                RoutingV1Servlet.httpDate(Instant.parse("2025-11-02T03:04:05.678Z")));
    }

    @Test
    void maxAgeIsCappedAtTheRemainingValidity() throws Exception {
        store.put(alice.name(), alice.record(1, clock.instant().plusSeconds(90), Duration.ofHours(1), "/ipfs/x"));
        HttpResponse<byte[]> resp = send(get(alice.name()));
        assertEquals("public, max-age=90, stale-while-revalidate=90, stale-if-error=90",
                header(resp, "Cache-Control"));
    }

    @Test
    void zeroTtlDefaultsToSixtySeconds() throws Exception {
        store.put(alice.name(), alice.record(1, inADay, Duration.ZERO, "/ipfs/x"));
        assertTrue(header(send(get(alice.name())), "Cache-Control").startsWith("public, max-age=60,"));
    }

    @Test
    void etagChangesWithTheRecordAndIfNoneMatchGives304() throws Exception {
        store.put(alice.name(), alice.record(1, inADay));
        String etag1 = header(send(get(alice.name())), "Etag");
        HttpResponse<byte[]> notModified = send(get(alice.name()).header("If-None-Match", etag1));
        assertEquals(304, notModified.statusCode());
        assertEquals(0, notModified.body().length);
        assertEquals(etag1, header(notModified, "Etag"));
        assertEquals("*", header(notModified, "Access-Control-Allow-Origin"));
        assertEquals(304, send(get(alice.name()).header("If-None-Match", "\"other\", " + etag1)).statusCode());
        assertEquals(304, send(get(alice.name()).header("If-None-Match", "*")).statusCode());

        store.put(alice.name(), alice.record(2, inADay));
        HttpResponse<byte[]> changed = send(get(alice.name()).header("If-None-Match", etag1));
        assertEquals(200, changed.statusCode());
        assertFalse(etag1.equals(header(changed, "Etag")));
    }

    @Test
    void ifModifiedSinceTheStoreTimeGives304() throws Exception {
        store.put(alice.name(), alice.record(1, inADay));
        String lastModified = header(send(get(alice.name())), "Last-Modified");
        assertEquals(304, send(get(alice.name()).header("If-Modified-Since", lastModified)).statusCode());
        String before = RoutingV1Servlet.httpDate(clock.instant().minusSeconds(5));
        assertEquals(200, send(get(alice.name()).header("If-Modified-Since", before)).statusCode());
    }

    @Test
    void headAnswersHeadersWithoutBody() throws Exception {
        IpnsRecord r = alice.record(1, inADay);
        store.put(alice.name(), r);
        HttpResponse<byte[]> resp = send(request(alice.name()).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, resp.statusCode());
        assertEquals(RECORD, header(resp, "Content-Type"));
        assertTrue(header(resp, "Etag").startsWith("\""));
        assertEquals(0, resp.body().length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"*/*", "application/*", RECORD, RECORD + "; q=0.9",
            "text/html, " + RECORD + ";q=0.5", "application/json;q=1, */*;q=0.1", "APPLICATION/VND.IPFS.IPNS-RECORD"})
    void acceptHeadersThatAllowTheRecordTypeGetTheRecord(String accept) throws Exception {
        store.put(alice.name(), alice.record(1, inADay));
        HttpResponse<byte[]> resp = send(get(alice.name()).header("Accept", accept));
        assertEquals(200, resp.statusCode());
        assertEquals(RECORD, header(resp, "Content-Type"));
    }

    @Test
    void missingAcceptHeaderGetsTheRecord() throws Exception {
        store.put(alice.name(), alice.record(1, inADay));
        HttpResponse<byte[]> resp = send(get(alice.name()));
        assertEquals(200, resp.statusCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "text/plain", RECORD + ";q=0", "*/*;q=0",
            "*/*, " + RECORD + ";q=0", "application/vnd.ipfs.ipns-record-v2", ";" /* found by RoutingFuzzTest: was 500 */})
    void otherAcceptHeadersGet406WithAHint(String accept) throws Exception {
        store.put(alice.name(), alice.record(1, inADay));
        HttpResponse<byte[]> resp = send(get(alice.name()).header("Accept", accept));
        assertEquals(406, resp.statusCode());
        assertTrue(text(resp).contains("Accept: " + RECORD), text(resp));
        assertPlainError(resp);
    }

    @Test
    void unknownNameIs200PlainTextNoRecordWithShortCaching() throws Exception {
        HttpResponse<byte[]> resp = send(get(alice.name()));
        assertEquals(200, resp.statusCode());
        assertTrue(text(resp).startsWith("no record for " + alice.name()), text(resp));
        assertEquals("public, max-age=15", header(resp, "Cache-Control"));
        assertPlainError(resp);
    }

    @Test
    void expiredRecordIsNotServed() throws Exception {
        store.put(alice.name(), alice.record(1, clock.instant().plusSeconds(30)));
        assertEquals(200, send(get(alice.name())).statusCode());
        clock.advance(Duration.ofSeconds(30));
        HttpResponse<byte[]> resp = send(get(alice.name()));
        assertEquals(200, resp.statusCode());
        assertTrue(header(resp, "Content-Type").startsWith("text/plain"));
        assertTrue(text(resp).startsWith("no record"), text(resp));
    }

    @Test
    void base58NamesAre400() throws Exception {
        for (String name : List.of("12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d",
                "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3")) {
            HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(uri(RoutingV1.IPNS_PATH + name)).GET());
            assertEquals(400, resp.statusCode(), name);
            assertTrue(text(resp).contains("base58"), text(resp));
            assertPlainError(resp);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/routing/v1/ipns/not-a-name", "/routing/v1/ipns/", "/routing/v1/ipns/k51abc/extra",
            "/routing/v1/nothing", "/routing/v1/"})
    void badNamesAndUnknownPathsAre400(String path) throws Exception {
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(uri(path)).GET());
        assertEquals(400, resp.statusCode());
        assertPlainError(resp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/routing/v1/providers/bafkqaaa", "/routing/v1/peers/k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam"})
    void providerAndPeerRoutingAre501(String path) throws Exception {
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(uri(path)).GET());
        assertEquals(501, resp.statusCode());
        assertPlainError(resp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "POST", "PATCH"})
    void otherMethodsAre501(String method) throws Exception {
        HttpResponse<byte[]> resp = send(request(alice.name()).method(method, HttpRequest.BodyPublishers.noBody()));
        assertEquals(501, resp.statusCode());
        assertPlainError(resp);
    }

    @Test
    void optionsIsACorsPreflight() throws Exception {
        HttpResponse<byte[]> resp = send(request(alice.name())
                .header("Origin", "https://example.org")
                .header("Access-Control-Request-Method", "PUT")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, resp.statusCode());
        assertEquals("*", header(resp, "Access-Control-Allow-Origin"));
        String methods = header(resp, "Access-Control-Allow-Methods");
        assertTrue(methods.contains("GET") && methods.contains("PUT") && methods.contains("OPTIONS"), methods);
        assertTrue(header(resp, "Access-Control-Allow-Headers").contains("Content-Type"));
    }

    @Test
    void storeFailureOnGetIs500WithoutDetails() throws Exception {
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(
                uri("/broken" + RoutingV1.IPNS_PATH + alice.name())).GET());
        assertEquals(500, resp.statusCode());
        assertEquals("record store failed", text(resp).strip());
        assertPlainError(resp);
    }

    // ---------------------------------------------------------------- PUT

    @Test
    void putStoresAValidRecordAndGetReturnsIt() throws Exception {
        IpnsRecord r = alice.record(1, inADay);
        HttpResponse<byte[]> resp = send(put(alice.name(), RECORD, r.raw()));
        assertEquals(200, resp.statusCode());
        assertEquals("stored", text(resp).strip());
        assertEquals("*", header(resp, "Access-Control-Allow-Origin"));
        assertArrayEquals(r.raw(), send(get(alice.name())).body());
    }

    @Test
    void putOfAWorseValidRecordIs200ButKeepsTheBetterOne() throws Exception {
        IpnsRecord better = alice.record(5, inADay);
        assertEquals(200, send(put(alice.name(), RECORD, better.raw())).statusCode());
        HttpResponse<byte[]> resp = send(put(alice.name(), RECORD, alice.record(3, inADay).raw()));
        assertEquals(200, resp.statusCode());
        assertTrue(text(resp).startsWith("not stored"), text(resp));
        assertArrayEquals(better.raw(), send(get(alice.name())).body());
    }

    @Test
    void putContentTypeWithParametersIsAccepted() throws Exception {
        assertEquals(200, send(put(alice.name(), RECORD + "; charset=binary", alice.record(1, inADay).raw()))
                .statusCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/octet-stream", "application/json", "text/plain", ";" /* found by RoutingFuzzTest: was 500 */})
    void putWithAnotherContentTypeIs406WithAHint(String type) throws Exception {
        HttpResponse<byte[]> resp = send(put(alice.name(), type, alice.record(1, inADay).raw()));
        assertEquals(406, resp.statusCode());
        assertTrue(text(resp).contains("Content-Type: " + RECORD), text(resp));
        assertTrue(store.get(alice.name()).isEmpty());
    }

    @Test
    void putWithoutContentTypeIs406() throws Exception {
        HttpResponse<byte[]> resp = send(request(alice.name())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(1, inADay).raw())));
        assertEquals(406, resp.statusCode());
    }

    @Test
    void putOfMoreThan10KiBIs413() throws Exception {
        HttpResponse<byte[]> resp = send(put(alice.name(), RECORD, new byte[RoutingV1.MAX_RECORD_BYTES + 1]));
        assertEquals(413, resp.statusCode());
        assertTrue(text(resp).contains("10240"), text(resp));
        assertPlainError(resp);
    }

    @Test
    void putOfMoreThan10KiBWithoutContentLengthIs413() throws Exception {
        byte[] big = new byte[64 * 1024];
        HttpResponse<byte[]> resp = send(request(alice.name()).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))));
        assertEquals(413, resp.statusCode());
    }

    @Test
    void putOfARecordForAnotherNameIs400WithTheValidatorsReason() throws Exception {
        Identity mallory = TestRecords.newIdentity();
        HttpResponse<byte[]> resp = send(put(alice.name(), RECORD, mallory.record(1, inADay).raw()));
        assertEquals(400, resp.statusCode());
        assertTrue(text(resp).startsWith("invalid record: "), text(resp));
        assertTrue(text(resp).length() > "invalid record: ".length() + 3, text(resp));
        assertPlainError(resp);
        assertTrue(store.get(alice.name()).isEmpty());
    }

    @Test
    void putOfGarbageOrEmptyBodyIs400() throws Exception {
        assertEquals(400, send(put(alice.name(), RECORD, "hello".getBytes(StandardCharsets.UTF_8))).statusCode());
        assertEquals(400, send(put(alice.name(), RECORD, new byte[0])).statusCode());
    }

    @Test
    void putOfAnExpiredRecordIs400() throws Exception {
        IpnsRecord r = alice.record(1, clock.instant().plusSeconds(5));
        clock.advance(Duration.ofSeconds(6));
        HttpResponse<byte[]> resp = send(put(alice.name(), RECORD, r.raw()));
        assertEquals(400, resp.statusCode());
    }

    @Test
    void putToABase58NameIs400() throws Exception {
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(
                        uri(RoutingV1.IPNS_PATH + "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d"))
                .header("Content-Type", RECORD).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[10])));
        assertEquals(400, resp.statusCode());
    }

    @Test
    void storeFailureOnPutIs500() throws Exception {
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(uri("/broken" + RoutingV1.IPNS_PATH + alice.name()))
                .header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(1, inADay).raw())));
        assertEquals(500, resp.statusCode());
        assertEquals("record store failed", text(resp).strip());
    }

    @Test
    void putsAboveTheRateAre429WithRetryAfter() throws Exception {
        URI limited = uri("/limited" + RoutingV1.IPNS_PATH + alice.name());
        for (int seq = 1; seq <= 2; seq++) {
            assertEquals(200, send(HttpRequest.newBuilder(limited).header("Content-Type", RECORD)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(seq, inADay).raw()))).statusCode());
        }
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(limited).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(3, inADay).raw())));
        assertEquals(429, resp.statusCode());
        long retryAfter = Long.parseLong(header(resp, "Retry-After"));
        assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
        assertPlainError(resp);
        assertEquals(2, store.get(alice.name()).orElseThrow().record().sequence());
        // GETs are not limited.
        assertEquals(200, send(HttpRequest.newBuilder(limited).GET()).statusCode());
        // Tokens come back with time.
        clock.advance(Duration.ofSeconds(retryAfter));
        assertEquals(200, send(HttpRequest.newBuilder(limited).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(3, inADay).raw()))).statusCode());
    }

    @Test
    void putOfANewNameToAFullStoreIs503WithRetryAfterAndHeldNamesStillUpdate() throws Exception {
        Identity bob = TestRecords.newIdentity();
        URI aliceUri = uri("/full" + RoutingV1.IPNS_PATH + alice.name());
        URI bobUri = uri("/full" + RoutingV1.IPNS_PATH + bob.name());
        assertEquals(200, send(HttpRequest.newBuilder(aliceUri).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(1, inADay).raw()))).statusCode());
        HttpResponse<byte[]> resp = send(HttpRequest.newBuilder(bobUri).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bob.record(1, inADay).raw())));
        assertEquals(503, resp.statusCode());
        assertEquals(Long.toString(JdbcRecordStore.Limits.DEFAULT_SWEEP_INTERVAL.toSeconds()), header(resp, "Retry-After"));
        assertEquals("record store full: no room for a new name; retry later", text(resp).strip());
        assertPlainError(resp);
        assertEquals(200, send(HttpRequest.newBuilder(aliceUri).header("Content-Type", RECORD)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(alice.record(2, inADay).raw()))).statusCode());
        assertEquals(2, fullStore.get(alice.name()).orElseThrow().record().sequence());
        assertEquals(1, fullStore.count());
    }

    @Test
    void newNamesFromOneAddressBeyondItsHourlyBudgetAre429WhileHeldNamesAndOtherAddressesGoOn() throws Exception {
        Identity bob = TestRecords.newIdentity();
        Identity carol = TestRecords.newIdentity();
        // a hostile publisher at 192.0.2.7 puts records for fresh names
        assertEquals(200, putAs("/newnames", "192.0.2.7", alice, 1).statusCode());
        assertEquals(200, putAs("/newnames", "192.0.2.7", bob, 1).statusCode());
        HttpResponse<byte[]> refused = putAs("/newnames", "192.0.2.7", carol, 1);
        assertEquals(429, refused.statusCode());
        assertPlainError(refused);
        assertTrue(text(refused).startsWith("too many new names from this address"), text(refused));
        long retryAfter = Long.parseLong(header(refused, "Retry-After"));
        assertEquals(1800, retryAfter); // one name of a budget of 2 per hour comes back after 30 min
        assertTrue(store.get(carol.name()).isEmpty());
        // names it already has stored still update: the budget counts new names only
        assertEquals(200, putAs("/newnames", "192.0.2.7", alice, 2).statusCode());
        assertEquals(2, store.get(alice.name()).orElseThrow().record().sequence());
        // the same /64 of IPv6 shares one budget; other addresses have their own
        assertEquals(200, putAs("/newnames", "2001:db8:1:2::1", carol, 1).statusCode());
        Identity dave = TestRecords.newIdentity();
        Identity erin = TestRecords.newIdentity();
        assertEquals(200, putAs("/newnames", "2001:db8:1:2::ffff", dave, 1).statusCode());
        assertEquals(429, putAs("/newnames", "2001:db8:1:2:abcd::9", erin, 1).statusCode());
        assertEquals(200, putAs("/newnames", "2001:db8:1:3::1", erin, 1).statusCode());
        // the budget refills with time
        Identity frank = TestRecords.newIdentity();
        assertEquals(429, putAs("/newnames", "192.0.2.7", frank, 1).statusCode());
        clock.advance(Duration.ofSeconds(retryAfter));
        assertEquals(200, putAs("/newnames", "192.0.2.7", frank, 1).statusCode());
    }

    @Test
    void aNewNameTheStoreRefusesDoesNotSpendTheBudget() throws Exception {
        Identity bob = TestRecords.newIdentity();
        Identity carol = TestRecords.newIdentity();
        // a budget of one new name per hour; the store holds one name
        assertEquals(200, putAs("/newnamesfull", "192.0.2.8", alice, 1).statusCode());
        assertEquals(429, putAs("/newnamesfull", "192.0.2.8", carol, 1).statusCode()); // its budget is spent
        // another client's new name is refused by the full store (503), and that refusal cost it
        // nothing: it gets 503 again, not 429
        assertEquals(503, putAs("/newnamesfull", "192.0.2.9", bob, 1).statusCode());
        assertEquals(503, putAs("/newnamesfull", "192.0.2.9", bob, 1).statusCode());
        assertEquals(1, fullStore.count());
    }

    @Test
    void cachingOfARecordClaimingAFarEolAndTtlEndsWithTheRetention() throws Exception {
        IpnsRecord r = alice.record(1, Instant.parse("9999-12-31T23:59:59Z"), Duration.ofDays(10_000), "/ipfs/x");
        store.put(alice.name(), r);
        HttpResponse<byte[]> resp = send(get(alice.name()));
        assertEquals(200, resp.statusCode());
        long retention = JdbcRecordStore.Limits.DEFAULT_MAX_RETENTION.toSeconds();
        assertEquals("public, max-age=" + retention + ", stale-while-revalidate=" + retention
                + ", stale-if-error=" + retention, header(resp, "Cache-Control"));
        assertEquals(RoutingV1Servlet.httpDate(clock.instant().plusSeconds(retention)), header(resp, "Expires"));
        clock.advance(JdbcRecordStore.Limits.DEFAULT_MAX_RETENTION);
        HttpResponse<byte[]> gone = send(get(alice.name()));
        assertEquals(200, gone.statusCode());
        assertTrue(text(gone).startsWith("no record for"), text(gone));
    }

    // ---------------------------------------------------------------- helpers

    private HttpResponse<byte[]> putAs(String prefix, String client, Identity who, long sequence) throws Exception {
        return send(HttpRequest.newBuilder(uri(prefix + RoutingV1.IPNS_PATH + who.name()))
                .header("Content-Type", RECORD).header(AsClient.CLIENT_HEADER, client)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(who.record(sequence, inADay).raw())));
    }

    /** The servlet as it sees a client at the address of the test's header (as the gateway filter passes a forwarded one). */
    static final class AsClient extends RoutingV1Servlet {
        private static final long serialVersionUID = 1L;
        static final String CLIENT_HEADER = "X-Test-Client";

        AsClient(RecordStore store, Settings settings) {
            super(store, settings);
        }

        @Override
        protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
                throws java.io.IOException {
            String client = req.getHeader(CLIENT_HEADER);
            super.service(client == null ? req : new jakarta.servlet.http.HttpServletRequestWrapper(req) {
                @Override
                public String getRemoteAddr() {
                    return client;
                }
            }, resp);
        }
    }

    private static void assertPlainError(HttpResponse<byte[]> resp) {
        assertTrue(header(resp, "Content-Type").startsWith("text/plain"), header(resp, "Content-Type"));
        assertEquals("*", header(resp, "Access-Control-Allow-Origin"));
        String body = text(resp);
        assertTrue(body.length() < 300, body);
        assertFalse(body.contains("Exception") || body.contains("\tat "), body);
    }

    private URI uri(String path) {
        return URI.create(server.baseUri() + path);
    }

    private HttpRequest.Builder request(IpnsName name) {
        return HttpRequest.newBuilder(uri(RoutingV1.IPNS_PATH + name)).timeout(Duration.ofSeconds(10));
    }

    private HttpRequest.Builder get(IpnsName name) {
        return request(name).GET();
    }

    private HttpRequest.Builder put(IpnsName name, String contentType, byte[] body) {
        return request(name).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> resp, String name) {
        return resp.headers().firstValue(name).orElse(null);
    }

    private static String text(HttpResponse<byte[]> resp) {
        return new String(resp.body(), StandardCharsets.UTF_8);
    }

    /** A store whose backend is down. */
    static final class FailingStore implements RecordStore {
        @Override
        public Optional<StoredRecord> get(IpnsName name) {
            throw new RecordStoreException("database down", null);
        }

        @Override
        public boolean put(IpnsName name, IpnsRecord record) {
            throw new RecordStoreException("database down", null);
        }

        @Override
        public List<IpnsName> names(int limit) {
            throw new RecordStoreException("database down", null);
        }

        @Override
        public long count() {
            throw new RecordStoreException("database down", null);
        }

        @Override
        public int deleteExpired() {
            throw new RecordStoreException("database down", null);
        }

        @Override
        public void close() {
        }
    }
}
