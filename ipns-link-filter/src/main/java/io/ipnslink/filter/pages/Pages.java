package io.ipnslink.filter.pages;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Renders {@link Page}s: a small self-contained HTML page (no external assets, no scripts) for
 * browsers, plain text for everyone else (clients whose Accept does not name {@code text/html}).
 *
 * <p>The gateway's own pages (landing page, status page in {@code io.ipnslink.filter.web}) use the
 * same {@link #STYLE} and {@link #document} so that every page of the gateway looks alike.
 */
public final class Pages {
    /** Name shown in titles and footers. */
    public static final String PRODUCT = "IPNS-Link gateway";

    /** The style sheet of every gateway page: light, one centred card, system fonts. */
    public static final String STYLE = ""
            + "*{box-sizing:border-box}"
            + "body{margin:0;font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
            + "background:#f4f6f9;color:#1d2330}"
            + "main{max-width:42rem;margin:9vh auto 4rem;padding:2rem 2.2rem;background:#fff;border-radius:14px;"
            + "box-shadow:0 1px 3px rgba(20,30,50,.06),0 6px 24px rgba(20,30,50,.06)}"
            + "@media(max-width:40rem){main{margin:0;border-radius:0;box-shadow:none;min-height:100vh}}"
            + "h1{margin:.4rem 0 .9rem;font-size:1.55rem;line-height:1.25;letter-spacing:-.01em}"
            + "h2{margin:1.8rem 0 .6rem;font-size:1.05rem}"
            + "p{margin:.6rem 0}a{color:#2f62c8}a:hover{color:#1d468f}"
            + ".badge{display:inline-block;padding:.12rem .6rem;border-radius:99px;font-size:.78rem;font-weight:600;"
            + "letter-spacing:.02em;background:#e6edfb;color:#2f55a8}"
            + ".badge.warn{background:#fff1d6;color:#86560a}.badge.err{background:#fde8e8;color:#a02626}"
            + ".badge.ok{background:#e3f5e8;color:#1f6b36}"
            + ".lead{font-size:1.08rem}.hint{color:#4d5566}"
            + ".note{padding:.7rem .9rem;border-radius:10px;background:#f1f4f9;color:#39414f}"
            + ".alert{padding:.7rem .9rem;border-radius:10px;background:#fde8e8;color:#8c1f1f}"
            + "code{font:.88em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;"
            + "padding:.1em .35em;border-radius:4px;overflow-wrap:anywhere}"
            + "form{display:flex;gap:.5rem;margin:1.2rem 0 .4rem}"
            + "input{flex:1;min-width:0;padding:.6rem .75rem;border:1px solid #c6ccd7;border-radius:9px;font:inherit}"
            + "input:focus{outline:2px solid #9db8ef;border-color:#2f62c8}"
            + "button,.button{padding:.6rem 1.1rem;border:0;border-radius:9px;background:#2f62c8;color:#fff;"
            + "font:inherit;font-weight:600;cursor:pointer;text-decoration:none;display:inline-block}"
            + "button:hover,.button:hover{background:#244fa5;color:#fff}"
            + "table{border-collapse:collapse;width:100%;margin:.4rem 0}"
            + "th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #eceef3}"
            + "th{font-weight:600;color:#4d5566;width:38%}td.n{font-variant-numeric:tabular-nums}"
            + "ul{padding-left:1.2rem}li{margin:.25rem 0}"
            + "footer{margin-top:2rem;padding-top:.8rem;border-top:1px solid #eceef3;color:#7a8191;font-size:.85rem}";

    private Pages() {}

    /** Whether an HTML page suits a client with this Accept header. */
    public static boolean wantsHtml(String accept) {
        if (accept == null) {
            return false;
        }
        String a = accept.toLowerCase(Locale.ROOT);
        return a.contains("text/html") || a.contains("application/xhtml+xml");
    }

    /**
     * A whole HTML document in the gateway's style.
     *
     * @param title the window title (escaped here)
     * @param head extra markup for {@code <head>} (trusted; may be empty)
     * @param main the markup inside {@code <main>} (trusted: escape every value in it)
     * @param footer footer text (escaped here)
     */
    public static String document(String title, String head, String main, String footer) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                + "<meta name=\"referrer\" content=\"no-referrer\">"
                + "<title>" + escape(title) + "</title>" + head + "<style>" + STYLE + "</style></head>"
                + "<body><main>" + main + "<footer>" + escape(footer) + "</footer></main></body></html>\n";
    }

    /** The HTML form. */
    public static String html(Page page, String requestId) {
        return html(page, requestId, -1);
    }

    /**
     * The HTML form; {@code retryAfterSeconds} &gt; 0 (the answer's Retry-After) makes the page say
     * when to retry, and reload itself then.
     */
    public static String html(Page page, String requestId, int retryAfterSeconds) {
        int status = page.status();
        boolean comingSoon = status == 504 && retryAfterSeconds > 0;
        StringBuilder m = new StringBuilder();
        m.append("<span class=\"badge ").append(badgeClass(status, comingSoon)).append("\">")
                .append(status).append(' ').append(escape(reason(status))).append("</span>");
        if (comingSoon) {
            m.append("<h1>This site is offline right now</h1>");
            m.append("<p class=\"lead\">").append(escape(page.message())).append("</p>");
            m.append("<p class=\"hint\">Sites behind IPNS-Link are served by their owner's own computer, so they are"
                    + " reachable only while it is online. Nothing is wrong with the address.</p>");
            m.append("<p class=\"note\">Try again in ").append(retryAfterSeconds)
                    .append(retryAfterSeconds == 1 ? " second" : " seconds")
                    .append(": this page reloads itself then. <a href=\"\">Retry now</a></p>");
        } else {
            m.append("<h1>").append(escape(page.title())).append("</h1>");
            m.append("<p class=\"lead\">").append(escape(page.message())).append("</p>");
            String hint = hint(status);
            if (hint != null) {
                m.append("<p class=\"hint\">").append(escape(hint)).append("</p>");
            }
        }
        String head = comingSoon ? "<meta http-equiv=\"refresh\" content=\"" + retryAfterSeconds + "\">" : "";
        String footer = PRODUCT + " · " + status + (requestId == null ? "" : " · request " + requestId);
        return document(status + " " + page.title() + " · " + PRODUCT, head, m.toString(), footer);
    }

    /** The plain-text form. */
    public static String text(Page page) {
        return page.status() + " " + page.title() + "\n" + page.message() + "\n";
    }

    /**
     * Writes {@code page} (status, content type, no-store caching, body) to an uncommitted response.
     * Headers set before (such as Retry-After) stay; a numeric Retry-After shows on the HTML page.
     */
    public static void write(HttpServletResponse resp, Page page, String accept, String requestId) throws IOException {
        boolean html = wantsHtml(accept);
        byte[] body = (html ? html(page, requestId, retryAfter(resp.getHeader("Retry-After"))) : text(page))
                .getBytes(StandardCharsets.UTF_8);
        resp.setStatus(page.status());
        resp.setContentType((html ? "text/html" : "text/plain") + ";charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** HTML-escapes text for element content and attribute values. */
    public static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A short reason phrase for the badge. */
    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Not found";
            case 413 -> "Too large";
            case 500 -> "Gateway error";
            case 502 -> "Bad gateway";
            case 503 -> "Unavailable";
            case 504 -> "Gateway timeout";
            default -> status >= 500 ? "Error" : status >= 400 ? "Request error" : "Notice";
        };
    }

    private static String badgeClass(int status, boolean comingSoon) {
        if (comingSoon || status == 404) {
            return "warn";
        }
        return status >= 400 ? "err" : "ok";
    }

    /** What a visitor can do about an answer with {@code status}; null when there is nothing useful to say. */
    private static String hint(int status) {
        return switch (status) {
            case 400 -> "Names are IPNS keys such as k51qzi5uqu5d... (or 12D3KooW...), or domain names with a DNSLink"
                    + " record; addresses look like /ipns/{name}/ or {name}.ipns.{gateway host}.";
            case 404 -> "Check the address for typos. A site can be found here once its owner has published its record"
                    + " to this gateway, or to a routing service this gateway asks.";
            case 502 -> "The gateway could not get a usable answer for this site. If this persists, the site's owner"
                    + " may need to publish it again.";
            case 504 -> "Trying again in a moment may help.";
            case 500 -> "This is a fault of the gateway, not of the site; the request id helps its operator find it in"
                    + " the log.";
            default -> null;
        };
    }

    private static int retryAfter(String header) {
        if (header == null) {
            return -1;
        }
        try {
            int s = Integer.parseInt(header.trim());
            return s > 0 && s <= 86_400 ? s : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
