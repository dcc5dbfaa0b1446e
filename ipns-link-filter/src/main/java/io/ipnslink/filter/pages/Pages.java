package io.ipnslink.filter.pages;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Renders {@link Page}s: a small self-contained HTML page (no external assets, no scripts) for
 * browsers, plain text for everyone else (clients whose Accept does not name {@code text/html}).
 */
public final class Pages {
    private static final String STYLE = "body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;"
            + "padding:0 1em;color:#222;line-height:1.5}h1{font-size:1.4em}p.s{color:#777;font-size:.85em}";

    private Pages() {}

    /** Whether an HTML page suits a client with this Accept header. */
    public static boolean wantsHtml(String accept) {
        if (accept == null) {
            return false;
        }
        String a = accept.toLowerCase(Locale.ROOT);
        return a.contains("text/html") || a.contains("application/xhtml+xml");
    }

    /** The HTML form. */
    public static String html(Page page, String requestId) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                + "<title>" + escape(page.status() + " " + page.title()) + "</title><style>" + STYLE + "</style></head>"
                + "<body><h1>" + escape(page.title()) + "</h1><p>" + escape(page.message()) + "</p>"
                + "<p class=\"s\">" + page.status() + (requestId == null ? "" : " · request " + escape(requestId))
                + " · IPNS-Link gateway</p></body></html>\n";
    }

    /** The plain-text form. */
    public static String text(Page page) {
        return page.status() + " " + page.title() + "\n" + page.message() + "\n";
    }

    /** Writes {@code page} (status, content type, no-store caching, body) to an uncommitted response. */
    public static void write(HttpServletResponse resp, Page page, String accept, String requestId) throws IOException {
        boolean html = wantsHtml(accept);
        byte[] body = (html ? html(page, requestId) : text(page)).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(page.status());
        resp.setContentType((html ? "text/html" : "text/plain") + ";charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
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
}
