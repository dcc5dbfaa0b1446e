package io.ipnslink.filter.resolve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupSession;

/**
 * {@link AddressLookup} with dnsjava: A and AAAA asked at once, over the system's resolvers or given
 * servers, without any thread waiting (dnsjava's non-blocking client), each lookup cut at a timeout
 * (unlike {@code InetAddress.getAllByName}, which blocks its thread for as long as the system
 * resolver likes and cannot be interrupted).
 */
public final class DnsJavaAddressLookup implements AddressLookup {
    private final LookupSession session;
    private final Duration timeout;

    /**
     * @param servers {@code host} or {@code host:port} entries; empty = the system's resolvers
     * @param timeout longest wait for one lookup
     */
    public DnsJavaAddressLookup(List<String> servers, Duration timeout) {
        this.timeout = timeout;
        this.session = DnsJavaTxtLookup.session(servers, timeout);
    }

    @Override
    public CompletableFuture<List<InetAddress>> lookup(String host) {
        Name name;
        try {
            name = Name.fromString(host.endsWith(".") ? host : host + ".");
        } catch (TextParseException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<List<InetAddress>> v4 = ask(name, Type.A);
        CompletableFuture<List<InetAddress>> v6 = ask(name, Type.AAAA);
        return v4.thenCombine(v6, (a, b) -> {
            List<InetAddress> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        });
    }

    private CompletableFuture<List<InetAddress>> ask(Name name, int type) {
        return DnsJavaTxtLookup.records(session, name, type, timeout).thenApply(records -> {
            List<InetAddress> out = new ArrayList<>();
            for (Record r : records) {
                try {
                    if (r instanceof ARecord a) {
                        out.add(InetAddress.getByAddress(a.getAddress().getAddress()));
                    } else if (r instanceof AAAARecord a) {
                        out.add(InetAddress.getByAddress(a.getAddress().getAddress()));
                    }
                } catch (UnknownHostException e) {
                    throw new CompletionException(e); // not with 4 or 16 bytes
                }
            }
            return out;
        });
    }
}
