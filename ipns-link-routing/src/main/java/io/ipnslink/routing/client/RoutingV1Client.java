package io.ipnslink.routing.client;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.routing.RoutingV1;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPut;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client of the IPNS part of the Delegated Routing V1 HTTP API. Thread safe; one instance per
 * application (it pools connections). Endpoints are base URIs such as {@code https://delegated-ipfs.dev}
 * (the path {@code /routing/v1/ipns/{name}} is appended to the base path).
 *
 * <p>Every request has a connect timeout, a response (socket read) timeout and a whole-request
 * deadline after which it is aborted; response bodies are read up to {@value #MAX_RESPONSE_BYTES}
 * bytes.
 */
public final class RoutingV1Client implements AutoCloseable {
    /** Largest response body read (the record size limit). */
    public static final int MAX_RESPONSE_BYTES = RoutingV1.MAX_RECORD_BYTES;
    /** Longest server reason quoted in an exception. */
    public static final int MAX_REASON_CHARS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(RoutingV1Client.class);
    private static final ContentType RECORD_TYPE = ContentType.create(RoutingV1.IPNS_RECORD_MEDIA_TYPE);

    /**
     * Settings.
     *
     * @param connectTimeout TCP (and TLS) connect timeout
     * @param responseTimeout longest wait for response bytes (socket read timeout)
     * @param requestTimeout deadline of one whole request; it is aborted after that
     * @param maxConnections pooled connections in total (a fifth of it per endpoint, at least 2)
     * @param clock decides record expiry when validating
     */
    public record Settings(Duration connectTimeout, Duration responseTimeout, Duration requestTimeout,
            int maxConnections, Clock clock) {
        /** 5 s connect, 10 s response, 15 s per request, 50 connections. */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(15), 50,
                    Clock.systemUTC());
        }

        public Settings withTimeouts(Duration connect, Duration response, Duration request) {
            return new Settings(connect, response, request, maxConnections, clock);
        }

        public Settings withClock(Clock c) {
            return new Settings(connectTimeout, responseTimeout, requestTimeout, maxConnections, c);
        }
    }

    private final Settings settings;
    private final PoolingHttpClientConnectionManager connections;
    private final CloseableHttpClient http;
    private final ExecutorService workers;
    private final ScheduledExecutorService deadlines;

    public RoutingV1Client() {
        this(Settings.defaults());
    }

    public RoutingV1Client(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(settings.connectTimeout()))
                        .setSocketTimeout(Timeout.of(settings.responseTimeout()))
                        .build())
                .setMaxConnTotal(settings.maxConnections())
                .setMaxConnPerRoute(Math.max(2, settings.maxConnections() / 5))
                .build();
        this.http = HttpClients.custom()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(settings.requestTimeout()))
                        .setResponseTimeout(Timeout.of(settings.responseTimeout()))
                        .setRedirectsEnabled(false)
                        .build())
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableContentCompression()
                .setUserAgent("ipns-link-routing/0.1")
                .build();
        this.workers = Executors.newCachedThreadPool(daemon("routing-client-"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon("routing-client-deadline-"));
    }

    /**
     * GET {@code /routing/v1/ipns/{name}}: the record, validated against {@code name}, or empty when
     * the server has none (404, 500, or a 200 of another content type).
     *
     * @throws RoutingException on network failure, timeout, oversized response, an invalid record or
     *     another error status
     */
    public Optional<IpnsRecord> getIpns(URI endpoint, IpnsName name) throws RoutingException {
        return getIpns(endpoint, name, settings.requestTimeout());
    }

    private Optional<IpnsRecord> getIpns(URI endpoint, IpnsName name, Duration deadline) throws RoutingException {
        HttpGet get = new HttpGet(ipnsUri(endpoint, name));
        get.setHeader("Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        Answer answer = exchange(endpoint, get, deadline);
        if (answer.status() == 200 && answer.isRecordType()) {
            if (answer.truncated()) {
                throw tooLarge(endpoint);
            }
            try {
                return Optional.of(IpnsValidator.validate(name, answer.body(), settings.clock().instant()));
            } catch (IpnsRecordException e) {
                throw new RoutingException(RoutingException.Kind.INVALID_RECORD, endpoint,
                        "invalid record for " + name + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new RoutingException(RoutingException.Kind.INVALID_RECORD, endpoint,
                        "invalid record for " + name + ": " + e.getMessage(), e);
            }
        }
        if (answer.status() == 200 || answer.status() == 404 || answer.status() == 500) {
            LOG.debug("{}: no record for {} (status {})", endpoint, name, answer.status());
            return Optional.empty();
        }
        throw rejected(endpoint, answer, "GET");
    }

    /**
     * PUT {@code /routing/v1/ipns/{name}} with the raw record.
     *
     * @throws RoutingException with {@link RoutingException.Kind#REJECTED}, the status and the
     *     server's reason on a non-200 answer; on network failure or timeout
     */
    public void putIpns(URI endpoint, IpnsName name, byte[] record) throws RoutingException {
        if (record.length > RoutingV1.MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record larger than " + RoutingV1.MAX_RECORD_BYTES + " bytes");
        }
        HttpPut put = new HttpPut(ipnsUri(endpoint, name));
        put.setEntity(new ByteArrayEntity(record, RECORD_TYPE));
        Answer answer = exchange(endpoint, put, settings.requestTimeout());
        if (answer.status() != 200) {
            throw rejected(endpoint, answer, "PUT");
        }
    }

    /**
     * Asks every endpoint in parallel and returns the best valid record (by
     * {@link IpnsRecords#compare}) among the answers that came within {@code timeout}. Endpoints that
     * fail are logged and skipped.
     *
     * @return empty when no endpoint has a record
     * @throws RoutingException when every endpoint failed (none could say whether it has a record)
     */
    public Optional<IpnsRecord> resolve(List<URI> endpoints, IpnsName name, Duration timeout)
            throws RoutingException {
        if (endpoints.isEmpty()) {
            return Optional.empty();
        }
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (URI endpoint : endpoints) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return getIpns(endpoint, name, timeout);
                } catch (RoutingException e) {
                    return e;
                }
            }, workers));
        }
        try {
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.debug("resolve {}: not every endpoint answered in time", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RoutingException(RoutingException.Kind.TIMEOUT, endpoints.get(0), "interrupted", e);
        }
        IpnsRecord best = null;
        RoutingException firstError = null;
        int answered = 0;
        for (int i = 0; i < answers.size(); i++) {
            Object answer = answers.get(i).getNow(null);
            if (answer instanceof RoutingException e) {
                LOG.debug("resolve {}: {}", name, e.getMessage());
                firstError = firstError == null ? e : firstError;
            } else if (answer instanceof Optional<?> o) {
                answered++;
                if (o.isPresent()) {
                    IpnsRecord r = (IpnsRecord) o.get();
                    if (best == null || IpnsRecords.compare(r, best) > 0) {
                        best = r;
                    }
                }
            } else {
                firstError = firstError == null ? new RoutingException(RoutingException.Kind.TIMEOUT,
                        endpoints.get(i), "no answer within " + timeout.toMillis() + " ms", null) : firstError;
            }
        }
        if (answered == 0 && firstError != null) {
            throw firstError;
        }
        return Optional.ofNullable(best);
    }

    /** A response read into memory; {@code truncated} when the body exceeded the limit. */
    private record Answer(int status, String reasonPhrase, String contentType, byte[] body, boolean truncated) {
        boolean isRecordType() {
            return contentType != null
                    && contentType.split(";", -1)[0].trim().equalsIgnoreCase(RoutingV1.IPNS_RECORD_MEDIA_TYPE); // -1: never empty
        }
    }

    /**
     * Sends the request and reads the answer, at most {@link #MAX_RESPONSE_BYTES} of body. A body that
     * was not read to its end is never drained: the connection is dropped instead.
     */
    private Answer exchange(URI endpoint, HttpUriRequestBase request, Duration deadline) throws RoutingException {
        ScheduledFuture<?> abort = deadlines.schedule(request::cancel, deadline.toMillis(), TimeUnit.MILLISECONDS);
        ClassicHttpResponse response = null;
        boolean complete = false;
        try {
            response = http.executeOpen(null, request, null);
            HttpEntity entity = response.getEntity();
            byte[] body = new byte[0];
            boolean truncated = false;
            String contentType = null;
            if (entity != null) {
                contentType = entity.getContentType();
                if (entity.getContentLength() > MAX_RESPONSE_BYTES) {
                    truncated = true;
                } else {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    truncated = !readAtMost(entity.getContent(), out, MAX_RESPONSE_BYTES);
                    body = out.toByteArray();
                }
            }
            complete = !truncated;
            return new Answer(response.getCode(), response.getReasonPhrase(), contentType, body, truncated);
        } catch (IOException | RuntimeException e) {
            if (request.isCancelled()) {
                throw new RoutingException(RoutingException.Kind.TIMEOUT, endpoint,
                        "no complete answer within " + deadline.toMillis() + " ms", e);
            }
            if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
                throw new RoutingException(RoutingException.Kind.TIMEOUT, endpoint,
                        "timed out: " + e.getMessage(), e);
            }
            throw new RoutingException(RoutingException.Kind.NETWORK, endpoint,
                    request.getMethod() + " failed: " + e, e);
        } finally {
            abort.cancel(false);
            if (response != null) {
                if (!complete) {
                    request.cancel();
                }
                try {
                    response.close();
                } catch (IOException e) {
                    LOG.debug("{}: closing response: {}", endpoint, e.getMessage());
                }
            }
        }
    }

    /** Copies {@code in} to {@code out}; false (stopping early) when it holds more than {@code max} bytes. */
    private static boolean readAtMost(InputStream in, ByteArrayOutputStream out, int max) throws IOException {
        byte[] buf = new byte[2048];
        int n;
        while ((n = in.read(buf)) != -1) {
            if (out.size() + n > max) {
                return false;
            }
            out.write(buf, 0, n);
        }
        return true;
    }

    private static RoutingException tooLarge(URI endpoint) {
        return new RoutingException(RoutingException.Kind.RESPONSE_TOO_LARGE, endpoint,
                "response larger than " + MAX_RESPONSE_BYTES + " bytes", null);
    }

    private static RoutingException rejected(URI endpoint, Answer answer, String method) {
        String reason = new String(answer.body(), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
        if (reason.length() > MAX_REASON_CHARS) {
            reason = reason.substring(0, MAX_REASON_CHARS) + "...";
        }
        if (reason.isEmpty() && answer.reasonPhrase() != null) {
            reason = answer.reasonPhrase();
        }
        return new RoutingException(RoutingException.Kind.REJECTED, endpoint, answer.status(),
                method + " answered " + answer.status() + (reason.isEmpty() ? "" : ": " + reason), null);
    }

    /** {@code endpoint} + {@code /routing/v1/ipns/} + the base36 CIDv1 of the name. */
    static URI ipnsUri(URI endpoint, IpnsName name) {
        String base = endpoint.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + RoutingV1.IPNS_PATH + name);
    }

    /** Idle pooled connections (tests: keep-alive works). */
    int idleConnections() {
        return connections.getTotalStats().getAvailable();
    }

    @Override
    public void close() {
        workers.shutdownNow();
        deadlines.shutdownNow();
        http.close(CloseMode.IMMEDIATE);
        connections.close(CloseMode.IMMEDIATE);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
