package io.ipnslink.filter.config;

import java.util.Locale;

/**
 * Every configuration key of the gateway filter, with its default and meaning. The table in
 * {@code docs/configuration.md} is {@link #markdownTable()} (a test keeps them equal).
 *
 * <p>Each key is looked up, highest first, as: filter init-param {@code key}; context param
 * {@code ipnslink.key}; system property {@code ipnslink.key}; environment variable
 * {@code IPNSLINK_KEY} (upper case, {@code -} as {@code _}).
 */
public enum ConfigKey {
    MODE("mode", "gateway",
            "`gateway`: serve IPNS-Link sites. `redirect`: for an IPFS gateway: send `/ipns/` requests whose record"
                    + " carries an IPNS-Link manifest to `redirect-gateway` (307), pass the rest down the chain"),
    GATEWAY_HOSTS("gateway-hosts", "localhost",
            "Comma-separated public host names served in subdomain form (`{name}.ipns.{host}`, any port); path"
                    + " requests on these hosts are redirected (301) to the subdomain form. Empty: path form only"),
    TRUSTED_PROXIES("trusted-proxies", "",
            "Comma-separated CIDRs (or single addresses) of reverse proxies whose `X-Forwarded-Host`,"
                    + " `X-Forwarded-Proto` and `X-Forwarded-For` are honoured. Empty: never honoured"),
    ROUTING_ENDPOINTS("routing-endpoints", "",
            "Comma-separated base URLs of delegated routing v1 servers asked (in parallel) for records not"
                    + " in the own store, e.g. `https://delegated-ipfs.dev`"),
    DATA_DIR("data-dir", "(servlet temp dir)/ipns-link",
            "Directory for the gateway's libp2p identity key (`gateway.key`) and the embedded record store"),
    STORE("store", "",
            "Record store: a JDBC URL (`jdbc:postgresql://...`) or a JNDI name of a DataSource"
                    + " (`java:comp/env/jdbc/ipnslink`). Empty: embedded H2 file `ipns-records` under `data-dir`"),
    STORE_USER("store-user", "", "User for a `store` given as JDBC URL"),
    STORE_PASSWORD("store-password", "", "Password for a `store` given as JDBC URL (never logged)"),
    LISTEN("listen", "/ip4/127.0.0.1/tcp/0",
            "Comma-separated libp2p listen multiaddrs. The default opens nothing to the network: the gateway"
                    + " dials sites, and only exposers on this machine can reach it (relay). A public gateway that"
                    + " relays for exposers behind a NAT listens on a public address, e.g. `/ip4/0.0.0.0/tcp/4001`;"
                    + " empty: dial only"),
    RESOLVE_TIMEOUT("resolve-timeout", "5s", "Longest wait for the routing endpoints when resolving a name"),
    DNS_TIMEOUT("dns-timeout", "3s",
            "Longest wait for a DNS lookup: a DNSLink TXT record, or the A/AAAA records of a manifest address's name"),
    DIAL_TIMEOUT("dial-timeout", "10s",
            "Longest wait for a libp2p connection and stream to the site's peer; then onfail / 504"),
    DIAL_BACKOFF("dial-backoff", "1s",
            "After a failed dial of a site's peer at its manifest's addresses, visitors get the onfail / \"coming"
                    + " soon\" page at once for this long (no dial) instead of waiting `dial-timeout`; doubles with each"
                    + " further failure up to `dial-backoff-max`, forgotten once a dial succeeds. Kept per peer and"
                    + " address set, so another manifest naming the same peer cannot put it into back-off. 0: off"),
    DIAL_BACKOFF_MAX("dial-backoff-max", "60s", "Longest interval of the dial back-off (`dial-backoff`)"),
    FIRST_BYTE_TIMEOUT("first-byte-timeout", "60s",
            "Longest wait for the origin's response head once the request's last byte went out (504 after); an"
                    + " upload still going out is bounded by `idle-timeout` and `request-timeout` instead"),
    IDLE_TIMEOUT("idle-timeout", "120s", "Longest silence in either direction of a proxied exchange"),
    UPGRADE_IDLE_TIMEOUT("upgrade-idle-timeout", "120s",
            "Longest silence in both directions of an upgraded connection (WebSocket or another `Upgrade`) before"
                    + " the gateway closes it and resets its site stream"),
    MAX_REQUEST_BODY("max-request-body", "128MiB", "Largest request body forwarded (413 above); bytes or KiB/MiB/GiB"),
    MAX_STREAMS_PER_ORIGIN("max-streams-per-origin", "64", "Concurrent proxied requests to one site's peer"),
    KEPT_STREAMS_PER_SITE("kept-streams-per-site", "64",
            "Site streams kept open for the next request (HTTP/1.1 keep-alive over libp2p; a request without a"
                    + " body takes one instead of opening a stream; each waits at most 30 s). 0: a new stream"
                    + " for every request"),
    ALLOW_PRIVATE_ADDRESSES("allow-private-addresses", "false",
            "Dial loopback, private and link-local addresses found in manifests (keep false on a public gateway). "
                    + "When false, a `/dns`, `/dns4` or `/dns6` address is looked up, refused if any answer is "
                    + "private, and dialed at the answers that were checked (no second lookup a rebinding name "
                    + "could answer differently)"),
    REDIRECT_GATEWAY("redirect-gateway", "",
            "Redirect mode: base URL of the IPNS-Link gateway, e.g. `https://gw.example` (required in redirect mode)"),
    REDIRECT_SUBDOMAIN("redirect-subdomain", "false",
            "Redirect mode: redirect to `{name}.ipns.{redirect-gateway host}` instead of `/ipns/{name}/` on it"),
    ROUTING_ENDPOINT_ENABLED("routing-endpoint-enabled", "true",
            "Serve the delegated routing v1 IPNS API (`GET`/`PUT /routing/v1/ipns/{name}`) over the record store"),
    DNSLINK("dnslink", "true",
            "Look up `_dnslink.{host}` TXT records for request hosts that are not gateway hosts or IP literals"),
    DNS_SERVERS("dns-servers", "",
            "Comma-separated DNS servers (`host` or `host:port`) for DNSLink and the names in manifest addresses."
                    + " Empty: the system's resolvers"),
    NEGATIVE_CACHE_TTL("negative-cache-ttl", "10s", "How long \"no record for this name\" is remembered"),
    MAX_CACHE_TTL("max-cache-ttl", "1h", "Upper bound on caching a record (also bounded by its TTL and EOL)"),
    CACHE_SIZE("cache-size", "10000", "Most names (and DNSLink hosts) kept in the resolution caches"),
    STATUS("status", "local",
            "Who may read the gateway's status page (`StatusServlet`, `/status` in the WAR): `off` (nobody),"
                    + " `local` (loopback clients only; behind a reverse proxy list it in `trusted-proxies`),"
                    + " `public` (everyone). Refused requests get 404"),
    VISITOR_RATE("visitor-rate", "50",
            "Requests per second one visitor (client IP address, IPv6 by its /64, after `trusted-proxies`) may make"
                    + " to the gateway, sustained; beyond it 429 with `Retry-After` and the gateway's page. Requests"
                    + " passed down the chain to the host application are not counted. Decimals allowed (`0.5`)"),
    VISITOR_BURST("visitor-burst", "300", "Requests one visitor may make at once (the size of its token bucket)"),
    MAX_REQUESTS_PER_VISITOR("max-requests-per-visitor", "128",
            "Requests of one visitor in progress at once (proxied requests, name lookups, WebSocket and other"
                    + " upgraded connections until they close); beyond it 429 with `Retry-After`"),
    MAX_VISITORS_TRACKED("max-visitors-tracked", "50000",
            "Most visitors whose request rate is remembered (about 200 bytes each); beyond it the visitor seen"
                    + " longest ago is forgotten"),
    VISITOR_LIMITS_EXEMPT("visitor-limits-exempt", "127.0.0.0/8,::1",
            "Comma-separated CIDRs of clients the visitor limits never apply to (loopback: the machine itself)."
                    + " A reverse proxy on this machine must be listed in `trusted-proxies`, or every visitor is"
                    + " the proxy and exempt. Empty: nobody is exempt"),
    P2P_MAX_CONNECTIONS("p2p-max-connections", "4096",
            "Open libp2p connections of the gateway's host, inbound and outbound; inbound ones beyond are refused"),
    P2P_MAX_CONNECTIONS_PER_IP("p2p-max-connections-per-ip", "64",
            "Inbound libp2p connections (in handshake or open) from one IP address (IPv6: one /64)"),
    P2P_MAX_PENDING_INBOUND("p2p-max-pending-inbound", "256",
            "Inbound libp2p connections in their handshake (multistream, Noise, yamux) at once"),
    P2P_MAX_PENDING_INBOUND_PER_IP("p2p-max-pending-inbound-per-ip", "16",
            "Inbound libp2p connections in their handshake at once from one IP address (IPv6: one /64)"),
    P2P_MAX_CONNECTIONS_PER_PEER("p2p-max-connections-per-peer", "4",
            "libp2p connections with one peer id; a new one beyond closes the oldest"),
    P2P_MAX_BUFFERED_INBOUND("p2p-max-buffered-inbound", "256MiB",
            "Memory all libp2p connections together may hold for streams not read yet (at most a quarter of the"
                    + " heap unless set); a connection beyond it is closed"),
    P2P_MAX_BUFFERED_INBOUND_PER_CONNECTION("p2p-max-buffered-inbound-per-connection", "64MiB",
            "Memory one libp2p connection may hold for its streams not read yet; beyond it the connection is closed"),
    P2P_IDLE_CONNECTION_TIMEOUT("p2p-idle-connection-timeout", "2m",
            "A libp2p connection without any open stream for this long is closed. 0: never"),
    STORE_MAX_NAMES("store-max-names", "100000",
            "Most names the record store holds; a record for a new name beyond is refused (the routing endpoint"
                    + " answers 503 with `Retry-After`) until expired records are swept"),
    STORE_MAX_RETENTION("store-max-retention", "48h",
            "Longest a record is kept after it was last received, whatever EOL it claims (publishers republish)"),
    STORE_SWEEP_INTERVAL("store-sweep-interval", "10m",
            "How often expired records are deleted from the store in the background. 0: only when read or when"
                    + " the store is full"),
    ROUTING_PUT_RATE("routing-put-rate", "10",
            "`PUT`s per second one client (IP address, IPv6 by its /64) may send to the routing endpoint,"
                    + " sustained; beyond it 429 with `Retry-After`"),
    ROUTING_PUT_BURST("routing-put-burst", "60", "`PUT`s one client may send to the routing endpoint at once"),
    ROUTING_NEW_NAMES_PER_HOUR("routing-new-names-per-hour", "200",
            "Records for names the store does not hold yet that one client may `PUT` per hour (names it already"
                    + " holds update freely); beyond it 429 with `Retry-After`"),
    ROUTING_MAX_CLIENTS("routing-max-clients", "10000",
            "Most clients whose `PUT` rate and new-name budget the routing endpoint remembers; beyond it the"
                    + " client seen longest ago is forgotten"),
    PATH_FORM("path-form", "redirect",
            "Path requests (`/ipns/{name}/`) on a host that is not in `gateway-hosts`: `redirect` (301 to the"
                    + " subdomain form on the first gateway host other than `localhost`, with the request's port; when"
                    + " there is none, as `serve`) or `serve` (answer in path form, isolated: see"
                    + " `path-form-sandbox`). Path requests on a gateway host always go to its subdomain form"),
    PATH_FORM_SANDBOX("path-form-sandbox", "default",
            "Sandbox of path-form answers (`/ipns/{name}/`, where every site shares the host application's origin),"
                    + " added as `Content-Security-Policy: sandbox ...` next to the site's own policies: `default`"
                    + " (`" + io.ipnslink.filter.proxy.OriginIsolation.DEFAULT_SANDBOX + "`: scripts run in an opaque"
                    + " origin), `strict` (a bare `sandbox`: no scripts, no forms), `off` (none: path-form sites act as"
                    + " the host origin), or a list of sandbox tokens (`allow-same-origin` gives the host origin"
                    + " back and is logged as a warning). Subdomain form needs none. See docs/security.md"),
    REQUEST_TIMEOUT("request-timeout", "1h",
            "Longest a proxied request may take, from its arrival to the answer's last byte, streaming answers"
                    + " (server-sent events, long polls, downloads) included: then 504 when nothing was sent yet,"
                    + " else the answer is cut and the site stream reset. Bounds a site that trickles bytes just"
                    + " often enough to escape `idle-timeout`. An upgraded connection counts only until its 101."
                    + " 0: no limit"),
    RELAY("relay", "on",
            "Run the circuit relay v2 service (`/libp2p/circuit/relay/0.2.0/hop`) on the gateway's libp2p host:"
                    + " exposers behind a NAT reserve on it (`ipns-link expose --relay`) and are reached through it."
                    + " Useful only when `listen` is reachable from outside (the default loopback `listen` makes it"
                    + " reachable from this machine only). `off`: no relay service"),
    RELAY_MAX_RESERVATIONS("relay-max-reservations", "128", "Relay reservations held at once, all peers together"),
    RELAY_MAX_RESERVATIONS_PER_IP("relay-max-reservations-per-ip", "8",
            "Relay reservations held at once by peers connected from one IP address (IPv6: one /64)"),
    RELAY_RESERVATION_TTL("relay-reservation-ttl", "1h",
            "Lifetime of a relay reservation unless its holder refreshes it (at least 1 s)"),
    RELAY_MAX_CIRCUITS("relay-max-circuits", "256", "Relayed connections (circuits) open at once, all peers together"),
    RELAY_MAX_CIRCUITS_PER_PEER("relay-max-circuits-per-peer", "16", "Circuits open at once from or to one peer"),
    RELAY_CIRCUIT_DURATION("relay-circuit-duration", "0",
            "Longest one circuit may stay open (at least 1 s). 0: no limit, the default, since a site's HTTP"
                    + " traffic runs through its circuit (a relay announcing limits also makes go and js peers"
                    + " treat the connection as limited)"),
    RELAY_CIRCUIT_DATA("relay-circuit-data", "0",
            "Bytes one circuit may carry in each direction; bytes or KiB/MiB/GiB. 0: no limit (see"
                    + " `relay-circuit-duration`)"),
    ANNOUNCE("announce", "",
            "Comma-separated libp2p multiaddrs (at most 8, without `/p2p/...`) at which exposers reach this"
                    + " gateway, told them in `/.well-known/ipns-link` so that `ipns-link expose --publish-to` reserves"
                    + " on it; e.g. `/dns4/gw.example/tcp/4001` behind a load balancer or in a container. Empty: the"
                    + " `listen` addresses as bound (a wildcard one as the request's host name or address, loopback"
                    + " ones only to clients on loopback). See docs/nat.md"),
    AUTONAT("autonat", "on",
            "Run the AutoNAT v1 service (`/libp2p/autonat/1.0.0`) on the gateway's libp2p host: an exposer"
                    + " asks whether its direct addresses can be dialed from outside, and the gateway dials them"
                    + " back on a new connection (only at the IP the request came from, at most 8 addresses, 15 s,"
                    + " 3 requests per peer per 90 s). Private and loopback addresses are dialed back only with"
                    + " `allow-private-addresses`. `off`: no AutoNAT service"),
    DCUTR("dcutr", "on",
            "DCUtR hole punching (`/libp2p/dcutr`) on the gateway's libp2p host: when the gateway reaches an"
                    + " exposer through a relay, both dial each other at once and a direct connection replaces the"
                    + " relayed one when the NATs allow it. Private and loopback addresses are sent and dialed only"
                    + " with `allow-private-addresses`. `off`: no hole punching (the relayed connection stays)"),
    // ---- the store: PostgreSQL, connection pool, cluster (keys of this part go below this line)
    STORE_POOL_SIZE("store-pool-size", "10",
            "Connections in the pool (HikariCP) of a `store` given as a JDBC URL other than H2; a JNDI DataSource"
                    + " is pooled by the container. A PostgreSQL gateway also holds one connection outside the pool"
                    + " to listen for the cluster's notices"),
    STORE_CONNECT_TIMEOUT("store-connect-timeout", "5s",
            "Longest wait for a database connection (a new one, or a free one of the pool); a statement waiting"
                    + " longer than 12 times this for the server is abandoned"),
    CLUSTER_HEARTBEAT("cluster-heartbeat", "5s",
            "On PostgreSQL: how often each gateway marks itself alive in the shared database; a gateway not seen"
                    + " for three heartbeats no longer counts among the cluster's live gateways"),

    // ---- metrics and health (keys of this part go below this line)
    METRICS("metrics", "(as status)",
            "Who may read `/metrics` (Prometheus), `/health` and `/ready` (`MetricsServlet`, `HealthServlet`,"
                    + " `ReadyServlet`): `off` (nobody), `local` (loopback clients only; behind a reverse proxy list it"
                    + " in `trusted-proxies`), `public` (everyone). Unset: the value of `status`. Refused requests get"
                    + " 404 (docs/operations.md)"),
    METRICS_SITES("metrics-sites", "100",
            "Sites that get their own `site` label in the metrics (1 to 10000): the first ones served by the gateway"
                    + " (forwarded to their peer at least once); every other site is counted as `other`, so names"
                    + " that do not exist never add series"),
    READY_TIMEOUT("ready-timeout", "2s",
            "Longest wait of `/ready` for the record store's probe query (100ms to 60s); the answer is cached for"
                    + " one second, and one probe at a time runs whatever the number of callers"),

    // ---- denylist (keys of this part go below this line)
    DENYLIST("denylist", "",
            "Comma-separated denylists in the compact format of IPIP-383 (`.deny`): files and http(s) URLs,"
                    + " checked before a site's name is resolved; a blocked site, raw record or routing lookup is"
                    + " answered 451 with a page naming the list. Later lists override earlier ones. A file that"
                    + " cannot be read fails the start; a URL that cannot be fetched is retried while sites are"
                    + " served. See docs/denylist.md. Empty: no denylist"),
    DENYLIST_REFRESH("denylist-refresh", "1m",
            "How often the `denylist` files are checked for changes and the URLs fetched again (conditional GET);"
                    + " a changed list replaces the old one at once, a list that fails keeps its last good version"),
    DENYLIST_MAX_SIZE("denylist-max-size", "64MiB",
            "Largest denylist (file or URL body); bytes or KiB/MiB/GiB. A bigger list is refused as a whole"),
    DENYLIST_MAX_RULES("denylist-max-rules", "2000000",
            "Most rules one denylist may hold (a list with more is refused as a whole); lines are at most 2 MiB"
                    + " and the header 1 MiB, as the format says"),
    DENYLIST_FETCH_TIMEOUT("denylist-fetch-timeout", "60s",
            "Longest fetch of a denylist URL: connection, answer head and the whole body"),

    // ---- tenants, domains and the admin API (keys of this part go below this line)
    SITES("sites", "any",
            "Which sites the gateway serves: `any` (every IPNS-Link name), `registered` (only names attached to a"
                    + " tenant through the admin API; any other name gets a 403 page saying the site is not served here)"),
    ADMIN("admin", "local",
            "Who may use the admin API and page (`AdminServlet`, `/admin/` in the WAR): `off`, `local` (loopback"
                    + " clients only; behind a reverse proxy list it in `trusted-proxies`), `public`. Off in any case"
                    + " unless `admin-token` or `admin-client-subjects` is set (docs/admin.md)"),
    ADMIN_TOKEN("admin-token", "",
            "Secret of the admin API (`Authorization: Bearer {token}`) and password of the admin page's login; at"
                    + " least 16 characters. Never logged; the audit log names it by a short hash. Empty: no token"),
    ADMIN_CLIENT_SUBJECTS("admin-client-subjects", "",
            "`;`-separated subjects of TLS client certificates accepted as admin credentials (e.g. `CN=ops,O=Example`;"
                    + " compared as X.500 names), read from the container's verified client certificate. Empty: none"),
    TENANTS_MAX("tenants-max", "1000", "Most tenants; creating one more is refused (409)"),
    TENANT_SITES_MAX("tenant-sites-max", "1000", "Most sites attached to one tenant"),
    SITES_MAX("sites-max", "100000", "Most sites attached to tenants in all"),
    DOMAINS_MAX("domains-max", "10000", "Most custom domains (verified or not)"),
    AUDIT_RETENTION("audit-retention", "P90D",
            "How long entries of the admin audit log are kept (`2160h`, `P90D`); at most `audit-max-entries` are kept"),
    AUDIT_MAX_ENTRIES("audit-max-entries", "100000", "Most entries kept in the admin audit log (the oldest go first)"),
    TENANTS_RELOAD_INTERVAL("tenants-reload-interval", "30s",
            "How often each gateway reloads tenants, sites and domains from the database, besides at once after a"
                    + " change (on this gateway, and on the others through the cluster's notices)"),

    // ---- quotas and usage (keys of this part go below this line)
    USAGE("usage", "on",
            "Meter each site's use of this gateway per hour (requests forwarded to the site, bytes in and out,"
                    + " errors, p50/p99 upstream time) in memory and add it to the table `ipnslink_usage` of the record"
                    + " store's database every `usage-flush-interval` and on shutdown. `off`: nothing metered here"
                    + " (quotas still apply; a monthly volume then counts only what other gateways wrote)"),
    USAGE_FLUSH_INTERVAL("usage-flush-interval", "30s",
            "How often the metered usage is added to `ipnslink_usage` (what a crash loses at most)"),
    USAGE_MAX_SITES_PER_HOUR("usage-max-sites-per-hour", "10000",
            "Most sites metered one by one per hour (about 2 KiB of memory each); the requests of further sites in"
                    + " that hour are added up in one row named `(other)`"),
    QUOTA_REFRESH_INTERVAL("quota-refresh-interval", "5s",
            "How often the quotas (`ipnslink_quotas`) and the month's volumes (`ipnslink_usage`) are read again;"
                    + " a notice on the cluster channel `ipnslink_quotas` reads the quotas at once"),
    QUOTA_DEFAULT_REQUESTS_PER_SECOND("quota-default-requests-per-second", "",
            "Requests per second a site without a row of its own in `ipnslink_quotas` may get (shared out among"
                    + " the cluster's gateways); beyond it 429. Empty: no limit"),
    QUOTA_DEFAULT_STREAMS("quota-default-streams", "",
            "Requests in progress at once a site without a row of its own in `ipnslink_quotas` may have (shared"
                    + " out among the cluster's gateways); beyond it 429. Empty: no limit"),
    QUOTA_DEFAULT_BYTES_PER_MONTH("quota-default-bytes-per-month", "",
            "Bytes in and out per calendar month (UTC, all gateways) a site without a row of its own in"
                    + " `ipnslink_quotas` may use (`500GiB`); beyond it 429 until the month ends. Empty: no limit"),
    // ---- pubsub and the DHT (keys of this part go below this line)
    BOOTSTRAP("bootstrap", "",
            "Comma-separated libp2p peers (multiaddrs with `/p2p/`) to join the IPFS network through; names are then"
                    + " also resolved over pubsub and the DHT. Empty (default): neither is used"),
    PUBSUB("pubsub", "on",
            "With `bootstrap`: resolve over IPNS pubsub (gossipsub + fetch) too, and follow the names served recently"
                    + " so that a newer record replaces the cached one the moment it is published"),
    DHT("dht", "client",
            "With `bootstrap`: `off`, `client` (asks the Kademlia DHT, never answers) or `server` (also stores and"
                    + " serves records; only when `listen` is reachable from the internet)"),
    PUBSUB_MAX_NAMES("pubsub-max-names", "1024",
            "Names followed over pubsub at most (the most recently served; older ones are left)"),
    RESOLVE_GRACE("resolve-grace", "200ms",
            "After the first valid record of a race between the store, routing, pubsub and the DHT, how long to wait"
                    + " for a better one (bounded by `resolve-timeout`)"),
    // ---- IPFS: block cache, trustless gateway, static offload (keys of this part go below this line)
    IPFS_BITSWAP("ipfs-bitswap", "on",
            "Fetch blocks by bitswap on the gateway's libp2p host too (gateway mode): from the peer of the site whose"
                    + " static or stream path is asked (its manifest's peer, dialed at its addresses as for the"
                    + " tunnel) and from up to 8 connected peers that speak bitswap; every block verified. `off`: only"
                    + " the cache and `ipfs-upstream`"),
    STATIC_OFFLOAD("static-offload", "serve",
            "What the gateway does with a site's static (`s`) and stream (`t`) prefixes of its manifest: `serve` them"
                    + " from IPFS itself (the origin sees none of those requests), `redirect` (302) them to"
                    + " `{static-gateway}/ipfs/{cid}{rest}`, or `origin`: ignore the prefixes and forward to the"
                    + " origin as before (docs/static.md)"),
    STATIC_GATEWAY("static-gateway", "",
            "Base URL (http or https) of the public IPFS gateway `static-offload=redirect` sends visitors to, e.g."
                    + " `https://ipfs.io`; needed by that mode"),
    IPFS_GATEWAY("ipfs-gateway", "on",
            "Serve immutable IPFS content at `/ipfs/{cid}[/path]` and `{cid}.ipfs.{host}` (gateway mode): raw blocks and"
                    + " CARs (trustless gateway), files, directory listings; blocks come from the block cache, then"
                    + " `ipfs-upstream`, each verified by its hash. `on` serves when the cache directory can be made"
                    + " (otherwise a warning, and `/ipfs/` passes down the chain); `off` never (docs/static.md)"),
    IPFS_CACHE_DIR("ipfs-cache-dir", "",
            "Directory of the block cache shared by all sites (LRU, kept across restarts). Empty: `ipfs-blocks` under"
                    + " `data-dir`"),
    IPFS_CACHE_SIZE("ipfs-cache-size", "1GiB",
            "Most bytes of blocks the cache holds on disk; the least recently used go first. Bytes or KiB/MiB/GiB"),
    IPFS_UPSTREAM("ipfs-upstream", "",
            "Comma-separated base URLs of trustless gateways asked (in parallel) for blocks not in the cache:"
                    + " `GET {url}/ipfs/{cid}?format=raw`; a block that does not match its CID is refused. Empty: only"
                    + " what the cache holds is served"),
    IPFS_FETCH_TIMEOUT("ipfs-fetch-timeout", "30s",
            "Longest wait for one block from the upstream gateways (504 when the first block of an answer is"
                    + " not there in time; a stream cut when a later one is not)"),
    IPFS_MAX_BLOCKS("ipfs-max-blocks", "1000000",
            "Most blocks one `/ipfs/` request may read (path, file, listing or CAR); beyond it the answer fails"),
    IPFS_THREADS("ipfs-threads", "16",
            "Threads answering `/ipfs/` requests (each reads blocks and writes one answer at a time); 64 more wait"
                    + " in a queue, beyond that 503"),
    IPFS_MEMORY_CACHE("ipfs-memory-cache", "64MiB",
            "Most bytes of verified blocks kept in memory in front of the block cache, the most recently used"
                    + " (a hot static file is answered without a disk read or a hash); 0: none. Bytes or KiB/MiB/GiB"),
    // ---- private networks: swarm key (keys of this part go below this line)
    SWARM_KEY("swarm-key", "",
            "Path of a libp2p private network key file (`/key/swarm/psk/1.0.0/`, as `ipns-link key swarm gen` or"
                    + " Kubo's `swarm.key`): the gateway's libp2p hosts then talk only to peers with the same key"
                    + " (exposers, relays, bootstrap peers). Empty (default): the public network"),
    // ---- visitor anonymity (keys of this part go below this line)
    FORWARD_VISITOR_ADDRESS("forward-visitor-address", "off",
            "`on`: sites get the visitor's address (`X-Forwarded-For`, `Forwarded: for=`), as a corporate reverse"
                    + " proxy sends it. `off` (default): no header with the visitor's address reaches a site, and the"
                    + " ones a visitor sent are dropped; `X-Forwarded-Proto`/`-Host` still go"),
    // ---- gateway allow-lists and manifest encryption (keys of this part go below this line)
    // ---- legacy v1 sites (keys of this part go below this line)
    LEGACY_V1("legacy-v1", "on",
            "Serve sites of the original IPNS-Link (bash + Kubo): a record pointing to an inline page whose"
                    + " `<!--ipns-link--` comment holds the encrypted v1 manifest is read (decrypted with the public"
                    + " passphrase, cached) and proxied to its Kubo listener over `/x/ipns-link/<name>`. `off`: such"
                    + " names are \"not an IPNS-Link site\" (docs/manifest.md, Legacy v1 sites)"),

    ;

    private final String key;
    private final String defaultText;
    private final String description;

    ConfigKey(String key, String defaultText, String description) {
        this.key = key;
        this.defaultText = defaultText;
        this.description = description;
    }

    /** The key as a filter init-param. */
    public String key() {
        return key;
    }

    /** Default value (as text; {@link #DATA_DIR}'s is computed at start). */
    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    /**
     * Whether the value is a secret (a password, a token): never shown in errors or logs. Keys whose
     * name ends in {@code -password} or {@code -token}.
     */
    public boolean secret() {
        return key.endsWith("-password") || key.endsWith("-token");
    }

    /** Context param and system property name: {@code ipnslink.} + key. */
    public String qualifiedName() {
        return "ipnslink." + key;
    }

    /** Environment variable name: {@code IPNSLINK_} + key upper case with {@code _} for {@code -}. */
    public String envName() {
        return "IPNSLINK_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The documentation table: one row per key. */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder();
        b.append("| key (init-param) | system property / context param | environment | default | meaning |\n");
        b.append("|---|---|---|---|---|\n");
        for (ConfigKey k : values()) {
            b.append("| `").append(k.key).append("` | `").append(k.qualifiedName()).append("` | `")
                    .append(k.envName()).append("` | ")
                    .append(k.defaultText.isEmpty() ? "(empty)" : "`" + k.defaultText + "`")
                    .append(" | ").append(k.description).append(" |\n");
        }
        return b.toString();
    }
}
