package io.ipnslink.filter.resolve;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;

/** {@link TxtLookup} with dnsjava: the system's resolvers or given servers, each lookup cut at a timeout. */
public final class DnsJavaTxtLookup implements TxtLookup {
    private final LookupSession session;
    private final Duration timeout;

    /**
     * @param servers {@code host} or {@code host:port} entries; empty = the system's resolvers
     * @param timeout longest wait for one lookup
     */
    public DnsJavaTxtLookup(List<String> servers, Duration timeout) {
        this.timeout = timeout;
        this.session = session(servers, timeout);
    }

    /** A lookup session without cache (callers cache) over {@code servers} (empty: the system's), cut at {@code timeout}. */
    static LookupSession session(List<String> servers, Duration timeout) {
        Resolver resolver;
        if (servers.isEmpty()) {
            resolver = new ExtendedResolver();
        } else {
            List<Resolver> list = new ArrayList<>();
            for (String s : servers) {
                int colon = s.lastIndexOf(':');
                boolean hasPort = colon > 0 && s.indexOf(':') == colon;
                SimpleResolver r = new SimpleResolver(new InetSocketAddress(
                        hasPort ? s.substring(0, colon) : s, hasPort ? Integer.parseInt(s.substring(colon + 1)) : 53));
                list.add(r);
            }
            resolver = new ExtendedResolver(list);
        }
        resolver.setTimeout(timeout);
        return LookupSession.defaultBuilder().resolver(resolver).clearCaches().build();
    }

    /**
     * The records of {@code type} for {@code name}: empty when the name or the type does not
     * exist, failed on any other error; never longer than {@code timeout} (plus the session's own
     * margin).
     */
    static CompletableFuture<List<Record>> records(LookupSession session, Name name, int type, Duration timeout) {
        return session.lookupAsync(name, type).toCompletableFuture()
                .orTimeout(timeout.toMillis() + 500, TimeUnit.MILLISECONDS)
                .handle((result, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        if (cause instanceof NoSuchDomainException || cause instanceof NoSuchRRSetException) {
                            return List.of();
                        }
                        throw new CompletionException(cause);
                    }
                    return result.getRecords();
                });
    }

    @Override
    public CompletableFuture<List<Txt>> lookup(String fqdn) {
        Name name;
        try {
            name = Name.fromString(fqdn.endsWith(".") ? fqdn : fqdn + ".");
        } catch (TextParseException e) {
            return CompletableFuture.failedFuture(e);
        }
        return records(session, name, Type.TXT, timeout).thenApply(records -> {
            List<Txt> out = new ArrayList<>();
            for (Record r : records) {
                if (r instanceof TXTRecord txt) {
                    out.add(new Txt(String.join("", txt.getStrings()), Duration.ofSeconds(txt.getTTL())));
                }
            }
            return out;
        });
    }
}
