package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reproducer of an open problem (docs/security.md, "A visitor"): 20 MiB chunked uploads from
 * {@code java.net.http.HttpClient} through the gateway in Tomcat 10.1.33 fail in Tomcat's
 * {@code ChunkedInputFilter} ("Invalid end of line sequence"). Not in the normal build (its name does
 * not end in Test) until fixed: {@code ./mvnw -pl ipns-link-filter -am test -Dtest=ChunkedUploadRepro
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ChunkedUploadRepro extends UploadEndToEndTest {
    @Test
    void largeChunkedUploadsFromTheJdkClientArriveWhole() throws Exception {
        byte[] body = body(20 << 20, 3);
        String expected = "POST " + body.length + " " + sha256(body) + " expect=null";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI upload = gateway().base().resolve("/ipns/" + site().name() + "/upload");
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(upload).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
            assertEquals(expected, r.body(), "request " + i);
        }
        Map<String, String> first = origin().requests.peek();
        assertEquals("chunked", first.get("transfer-encoding"), "the JDK client sent the body chunked");
        assertNull(first.get("expect"));
    }

}
