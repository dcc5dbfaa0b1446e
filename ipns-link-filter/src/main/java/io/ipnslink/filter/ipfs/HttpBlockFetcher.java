package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.IpfsFormatException;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocks from a trustless HTTP gateway (ipfs/specs trustless-gateway):
 * {@code GET {base}/ipfs/{cid}?format=raw} with {@code Accept: application/vnd.ipld.raw}. The
 * answer is read up to {@link Block#MAX_BYTES} (a longer body is cut and refused), within the
 * timeout (head and body), and verified against the CID ({@link VerifiedBlock#verify}: the one hash
 * of these bytes on their way to the cache): a block that does not match is refused (logged as the
 * gateway's fault, {@code FAILED}) and never reaches the cache or a visitor.
 */
public final class HttpBlockFetcher implements BlockFetcher {
    /** The raw block media type. */
    public static final String RAW = "application/vnd.ipld.raw";
    private static final Logger LOG = LoggerFactory.getLogger(HttpBlockFetcher.class);

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    public HttpBlockFetcher(URI base, HttpClient http, Duration timeout) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.http = Objects.requireNonNull(http, "http");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public String name() {
        return base.toString();
    }

    @Override
    public CompletableFuture<VerifiedBlock> fetch(Cid cid, String requestId) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/ipfs/" + cid + "?format=raw"))
                .timeout(timeout).header("Accept", RAW).GET().build();
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(req, info -> limited(info.statusCode()));
        CompletableFuture<VerifiedBlock> result = sent.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((resp, error) -> {
                    if (error != null) {
                        Throwable e = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        boolean timedOut = e instanceof java.net.http.HttpTimeoutException
                                || e instanceof java.util.concurrent.TimeoutException;
                        throw new java.util.concurrent.CompletionException(new BlockUnavailableException(cid,
                                timedOut ? BlockUnavailableException.Reason.TIMEOUT : BlockUnavailableException.Reason.FAILED,
                                name() + ": " + e));
                    }
                    return toBlock(cid, resp, requestId);
                });
        result.whenComplete((b, e) -> {
            if (result.isCancelled()) {
                sent.cancel(true);
            }
        });
        return result;
    }

    private VerifiedBlock toBlock(Cid cid, HttpResponse<byte[]> resp, String requestId) {
        int status = resp.statusCode();
        if (status == 404 || status == 410) {
            throw new java.util.concurrent.CompletionException(new BlockUnavailableException(cid,
                    BlockUnavailableException.Reason.NOT_FOUND, name() + " has no block " + cid));
        }
        if (status != 200 || resp.body() == null) {
            throw new java.util.concurrent.CompletionException(new BlockUnavailableException(cid,
                    BlockUnavailableException.Reason.FAILED, name() + " answered " + status + " for " + cid));
        }
        try {
            return VerifiedBlock.verify(cid, resp.body());
        } catch (IpfsFormatException e) {
            LOG.warn("[{}] {} sent a block that does not match {}: refused", requestId, name(), cid);
            throw new java.util.concurrent.CompletionException(new BlockUnavailableException(cid,
                    BlockUnavailableException.Reason.FAILED, name() + " sent a block that does not match " + cid));
        }
    }

    /** The body of a 200 up to {@link Block#MAX_BYTES} (more fails the request); other answers' bodies are dropped. */
    private static HttpResponse.BodySubscriber<byte[]> limited(int status) {
        if (status != 200) {
            return HttpResponse.BodySubscribers.replacing(null);
        }
        return new HttpResponse.BodySubscriber<>() {
            private final CompletableFuture<byte[]> body = new CompletableFuture<>();
            private final ByteArrayOutputStream out = new ByteArrayOutputStream();
            private Flow.Subscription subscription;

            @Override
            public CompletionStage<byte[]> getBody() {
                return body;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(List<ByteBuffer> items) {
                for (ByteBuffer b : items) {
                    if (out.size() + b.remaining() > Block.MAX_BYTES) {
                        subscription.cancel();
                        body.completeExceptionally(new IpfsFormatException("block larger than " + Block.MAX_BYTES
                                + " bytes"));
                        return;
                    }
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    out.writeBytes(chunk);
                }
            }

            @Override
            public void onError(Throwable t) {
                body.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                body.complete(out.toByteArray());
            }
        };
    }
}
