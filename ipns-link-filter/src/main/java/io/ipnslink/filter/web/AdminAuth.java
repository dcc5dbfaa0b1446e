package io.ipnslink.filter.web;

import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.tenants.TenantAdmin;
import io.ipnslink.filter.tenants.TenantSettings;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.x500.X500Principal;

/**
 * Who is asking the admin API or page: a TLS client certificate whose subject is listed
 * ({@code admin-client-subjects}), the token ({@code Authorization: Bearer}, compared in constant
 * time), or the admin page's session cookie (made at login from the token: an expiry and its HMAC
 * under the token, so it works on every gateway of a cluster and dies with the token). Also the
 * page's anti-CSRF value and the same-origin check.
 */
final class AdminAuth {
    /** The page's session cookie. */
    static final String COOKIE = "ipnslink_admin";
    /** How long a page login lasts. */
    static final Duration SESSION = Duration.ofHours(12);
    /** The servlet request attribute of the client's verified certificate chain. */
    static final String CERT_ATTRIBUTE = "jakarta.servlet.request.X509Certificate";

    /** The outcome: an actor, or why not (status 401 or 403). */
    record Result(TenantAdmin.Actor actor, int status, String error, boolean byHeader) {
        boolean ok() {
            return actor != null;
        }
    }

    private final TenantSettings settings;
    private final Clock clock;
    /** MAC key of CSRF values when there is no token (certificates only): this process's own. */
    private final byte[] processKey = new byte[32];

    AdminAuth(TenantSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        new SecureRandom().nextBytes(processKey);
    }

    /**
     * Authenticates: certificate first, then the Authorization header, then (when
     * {@code cookieAllowed}) the session cookie.
     */
    Result authenticate(HttpServletRequest req, GatewayConfig config, boolean cookieAllowed) {
        String client = GatewayWeb.clientAddress(req, config);
        boolean certRefused = false;
        if (req.getAttribute(CERT_ATTRIBUTE) instanceof X509Certificate[] chain && chain.length > 0) {
            String subject = chain[0].getSubjectX500Principal().getName(X500Principal.CANONICAL);
            if (settings.adminClientSubjects().contains(subject)) {
                return new Result(new TenantAdmin.Actor("cert:" + chain[0].getSubjectX500Principal().getName(
                        X500Principal.RFC2253), client), 200, null, false);
            }
            certRefused = true;
        }
        String authorization = req.getHeader("Authorization");
        if (authorization != null) {
            if (settings.adminToken().isPresent() && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                    && constantTimeEquals(authorization.substring(7).trim(), settings.adminToken().get())) {
                return new Result(new TenantAdmin.Actor(tokenActor(), client), 200, null, true);
            }
            return new Result(null, 401, "wrong credentials", true);
        }
        if (cookieAllowed && settings.adminToken().isPresent()) {
            String session = cookie(req);
            if (session != null && validSession(session)) {
                return new Result(new TenantAdmin.Actor(tokenActor(), client), 200, null, false);
            }
        }
        if (certRefused) {
            return new Result(null, 403, "this client certificate's subject is not in admin-client-subjects", false);
        }
        return new Result(null, 401, "credentials needed: Authorization: Bearer {admin-token}", false);
    }

    /** Whether {@code candidate} is the token (constant time in the candidate's content). */
    boolean isToken(String candidate) {
        return candidate != null && settings.adminToken().isPresent()
                && constantTimeEquals(candidate, settings.adminToken().get());
    }

    /** The token's name in the audit log: {@code token:} and 8 hex digits of its SHA-256. */
    String tokenActor() {
        return "token:" + HexFormat.of().formatHex(sha256(settings.adminToken().orElse(""))).substring(0, 8);
    }

    /** A new session cookie value: {@code expiry.mac}. */
    String newSession() {
        long until = clock.instant().plus(SESSION).getEpochSecond();
        return until + "." + mac(settings.adminToken().orElseThrow(), "session:" + until);
    }

    private boolean validSession(String value) {
        int dot = value.indexOf('.');
        if (dot <= 0 || dot > 20) {
            return false;
        }
        long until;
        try {
            until = Long.parseLong(value.substring(0, dot));
        } catch (NumberFormatException e) {
            return false;
        }
        if (until < clock.instant().getEpochSecond()) {
            return false;
        }
        return constantTimeEquals(value.substring(dot + 1), mac(settings.adminToken().get(), "session:" + until));
    }

    /** The page forms' anti-CSRF value for this actor. */
    String csrf(TenantAdmin.Actor actor) {
        return mac(settings.adminToken().orElse(null), "csrf:" + actor.id());
    }

    boolean validCsrf(TenantAdmin.Actor actor, String value) {
        return value != null && constantTimeEquals(value, csrf(actor));
    }

    /**
     * Whether a request with ambient credentials (cookie, certificate) comes from the gateway's own
     * pages. An {@code Origin} naming another origin never does. Browsers that send
     * {@code Sec-Fetch-Site} (it cannot be set by scripts) must say {@code same-origin}; they send
     * {@code Origin: null} from the admin pages, whose referrer policy is {@code no-referrer}. Without
     * {@code Sec-Fetch-Site}, the {@code Origin} must be this request's own origin.
     */
    static boolean sameOrigin(HttpServletRequest req, GatewayConfig config) {
        String origin = req.getHeader("Origin");
        boolean concrete = origin != null && !origin.equals("null");
        if (concrete && crossOrigin(req, config)) {
            return false;
        }
        String fetchSite = req.getHeader("Sec-Fetch-Site");
        if (fetchSite != null) {
            return fetchSite.equalsIgnoreCase("same-origin");
        }
        return concrete;
    }

    /** A cross-origin request: an {@code Origin} header naming another origin. */
    static boolean crossOrigin(HttpServletRequest req, GatewayConfig config) {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return false;
        }
        PublicRequest pr = PublicRequest.from(req, config);
        return !origin.toLowerCase(Locale.ROOT).equals(pr.scheme() + "://" + pr.host());
    }

    private static String cookie(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        if (cookies == null) {
            return null;
        }
        for (Cookie c : cookies) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private String mac(String key, String text) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key == null ? processKey : key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(m.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing", e);
        }
    }

    /** Compares the SHA-256 digests: the time depends on neither value's content nor length. */
    static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(sha256(a), sha256(b));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
