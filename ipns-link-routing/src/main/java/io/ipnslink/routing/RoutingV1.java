package io.ipnslink.routing;

/**
 * Constants of the Delegated Routing V1 HTTP API, IPNS part (ipfs/specs
 * {@code src/routing/http-routing-v1.md}, IPIP-0379).
 */
public final class RoutingV1 {
    /** Media type of a serialized IPNS record (protobuf {@code IpnsEntry}). */
    public static final String IPNS_RECORD_MEDIA_TYPE = "application/vnd.ipfs.ipns-record";
    /** Largest IPNS record accepted or returned (ipns-record spec: 10 KiB). */
    public static final int MAX_RECORD_BYTES = 10 * 1024;
    /** Path prefix of the whole API. */
    public static final String API_PREFIX = "/routing/v1";
    /** Path prefix of the IPNS endpoint; the name follows. */
    public static final String IPNS_PATH = API_PREFIX + "/ipns/";

    private RoutingV1() {
    }
}
