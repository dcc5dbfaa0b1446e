package io.ipnslink.filter.denylist;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where one list comes from, and whether it changed since it was last read: a file (its size,
 * modification time and file key, then the content's SHA-256) or an http(s) URL ({@code ETag},
 * {@code Last-Modified}, then the content's SHA-256). Used by one thread at a time (the refresh).
 */
abstract sealed class ListSource {
    final String location;
    final String label;
    final DenylistParser parser;
    /** SHA-256 of the content last parsed (successfully or not), to skip unchanged content. */
    private byte[] lastDigest;

    ListSource(String location, DenylistParser parser) {
        this.location = location;
        this.label = DenylistSettings.label(location);
        this.parser = parser;
    }

    static ListSource of(String location, DenylistParser parser, HttpClient http, Duration fetchTimeout) {
        return DenylistSettings.isUrl(location) ? new Url(location, parser, http, fetchTimeout)
                : new File(location, parser);
    }

    /**
     * Reads the list when it changed.
     *
     * @return the new list, or null when unchanged since the last call
     */
    abstract Denylist loadIfChanged() throws IOException, DenylistException;

    /** Parses {@code in}, or returns null when its content is the one parsed last time. */
    final Denylist parseIfNew(InputStream in) throws IOException, DenylistException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        DenylistParser.Result r;
        try (DigestInputStream din = new DigestInputStream(in, sha)) {
            r = parser.parse(din, label);
            din.transferTo(OutputStreamNull.INSTANCE); // nothing is left; the digest covers all
        }
        byte[] digest = sha.digest();
        if (Arrays.equals(digest, lastDigest)) {
            return null;
        }
        lastDigest = digest;
        return r.list();
    }

    /** A file: re-read when its size, modification time or file key changed, swapped when its content did. */
    static final class File extends ListSource {
        private final Path path;
        private Object stamp;

        File(String location, DenylistParser parser) {
            super(location, parser);
            this.path = Path.of(location);
        }

        @Override
        Denylist loadIfChanged() throws IOException, DenylistException {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(path, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                throw new IOException("no such file");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new IOException("permission denied");
            }
            if (!a.isRegularFile()) {
                throw new IOException(path + " is not a regular file");
            }
            Object s = Arrays.asList(a.size(), a.lastModifiedTime(), a.fileKey());
            if (s.equals(stamp)) {
                return null;
            }
            if (a.size() > parserLimit()) {
                stamp = s;
                throw new DenylistException(label + " is bigger than the " + parserLimit() + "-byte limit ("
                        + a.size() + " bytes)");
            }
            try (InputStream in = Files.newInputStream(path)) {
                Denylist d = parseIfNew(in);
                stamp = s;
                return d;
            }
        }

        private long parserLimit() {
            return parser.limits().maxBytes();
        }
    }

    /**
     * An http(s) URL: a conditional GET with the last {@code ETag} / {@code Last-Modified}; the
     * whole fetch (connection, head, body) within the fetch timeout, the body within the size limit.
     */
    static final class Url extends ListSource {
        private final HttpClient http;
        private final Duration timeout;
        private String etag;
        private String lastModified;

        Url(String location, DenylistParser parser, HttpClient http, Duration timeout) {
            super(location, parser);
            this.http = Objects.requireNonNull(http, "http");
            this.timeout = timeout;
        }

        @Override
        Denylist loadIfChanged() throws IOException, DenylistException {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(location)).timeout(timeout).GET()
                    .header("Accept", "text/plain, */*");
            if (etag != null) {
                rb.header("If-None-Match", etag);
            }
            if (lastModified != null) {
                rb.header("If-Modified-Since", lastModified);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            HttpResponse<InputStream> resp;
            try {
                resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } catch (java.net.http.HttpTimeoutException e) {
                throw new IOException("no answer within " + timeout.toMillis() + " ms");
            }
            try (InputStream body = resp.body()) {
                if (resp.statusCode() == 304) {
                    return null;
                }
                if (resp.statusCode() != 200) {
                    throw new IOException("HTTP " + resp.statusCode());
                }
                long length = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (length > parser.limits().maxBytes()) {
                    throw new DenylistException(label + " is bigger than the " + parser.limits().maxBytes()
                            + "-byte limit (Content-Length " + length + ")");
                }
                Denylist d = parseIfNew(new Deadline(body, deadline, timeout));
                etag = resp.headers().firstValue("ETag").orElse(null);
                lastModified = resp.headers().firstValue("Last-Modified").orElse(null);
                return d;
            }
        }
    }

    /** Closes the body when the fetch's time is up, so that a slow server cannot hold the refresh. */
    private static final class Deadline extends FilterInputStream {
        private final AtomicBoolean done = new AtomicBoolean();
        private final AtomicBoolean expired = new AtomicBoolean();
        private final Duration timeout;

        Deadline(InputStream in, long deadlineNanos, Duration timeout) {
            super(in);
            this.timeout = timeout;
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            CompletableFuture.runAsync(this::expire,
                    CompletableFuture.delayedExecutor(left, TimeUnit.NANOSECONDS));
        }

        private void expire() {
            if (!done.get()) {
                expired.set(true);
                try {
                    in.close();
                } catch (IOException e) {
                    // closing to stop the read; nothing more to do
                }
            }
        }

        @Override
        public int read() throws IOException {
            try {
                return check(super.read());
            } catch (IOException e) {
                throw expired.get() ? timedOut() : e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return check(super.read(b, off, len));
            } catch (IOException e) {
                throw expired.get() ? timedOut() : e;
            }
        }

        private int check(int n) throws IOException {
            if (expired.get()) {
                throw timedOut();
            }
            return n;
        }

        private IOException timedOut() {
            return new IOException("the list was not received within " + timeout.toMillis() + " ms");
        }

        @Override
        public void close() throws IOException {
            done.set(true);
            super.close();
        }
    }

    /** Discards bytes. */
    private static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
